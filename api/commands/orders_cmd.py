"""``quantpilot orders``: list, show, cancel; positions, reconcile, kill switch and the daily summary."""

from __future__ import annotations

import typer

from api.cli_auth import cli_actor
from api.commands.risk_cmd import ACCOUNT_HELP, execution_service

app = typer.Typer(help="Orders, positions, reconciliation, kill switch, daily summary.", no_args_is_help=True)
kill_app = typer.Typer(help="The kill switch: on (trader; --flatten: approver) / request-off / off (needs an "
                       "approval someone else decided).", no_args_is_help=True)
app.add_typer(kill_app, name="kill-switch")


@app.command("list")
def list_(status: str | None = typer.Option(None, "--status", help="an order status, or 'open'"),
          symbol: str | None = typer.Option(None, "--symbol"), limit: int = typer.Option(50, "--limit"),
          account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
          as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The account's orders, newest first."""
    from api.output import print_json, print_table
    from quant.display import money, quantity

    records = [r.to_dict() for r in execution_service(account).orders_list(cli_actor(required=False), status=status,
                                                                            symbol=symbol, limit=limit)]
    if as_json:
        print_json(records)
        return
    # ids are shortened to fit 80 columns: `orders show ID` takes the short form's full id from --json
    print_table(f"{len(records)} orders", ["id", "symbol", "side", "qty", "status", "filled", "avg price",
                                           "strategy", "by"],
                [[r["client_order_id"], r["symbol"], r["side"], quantity(r["qty"]), r["status"],
                  quantity(r["filled_qty"]), money(r["avg_fill_price"]), r["strategy_id"], r["requested_by"]]
                 for r in records])


@app.command("show")
def show(order_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """One order with its recorded events."""
    from api.output import print_fields, print_json

    record, events = execution_service().order(cli_actor(required=False), order_id)
    data = record.to_dict()
    data["events"] = [{"ts": e.ts, "kind": e.kind, "from": e.from_status, "to": e.to_status, "reason": e.reason}
                      for e in events]
    if as_json:
        print_json(data)
        return
    print_fields(data)


@app.command("cancel")
def cancel(order_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """Cancel an open order (as the signed-in user: trader)."""
    from api.output import console, print_json

    order = execution_service().cancel(cli_actor(), order_id)
    if as_json:
        print_json({"client_order_id": order.client_order_id, "status": order.status.value})
    else:
        console.print(f"order {order.client_order_id}: {order.status.value}", highlight=False)


@app.command("positions")
def positions(account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
              as_json: bool = typer.Option(False, "--json")) -> None:
    """The account's positions with mark, market value and unrealized P&L at its market clock; cash and equity."""
    from api.output import console, print_json
    from quant.display.book import holdings_text

    held = execution_service(account).holdings(cli_actor(required=False)).to_dict()
    if as_json:
        print_json(held)
        return
    console.print(holdings_text(held), highlight=False, markup=False, soft_wrap=True)


@app.command("reconcile")
def reconcile(account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
              as_json: bool = typer.Option(False, "--json")) -> None:
    """The account's recorded fills vs the broker's positions; exit code 2 on a discrepancy."""
    from api.output import console, print_json

    result = execution_service(account).reconcile(cli_actor())
    if as_json:
        print_json(result.to_dict())
    else:
        console.print("positions match" if result.matched else f"discrepancies: {list(result.discrepancies)}",
                      highlight=False)
    if not result.matched:
        raise typer.Exit(2)


@app.command("summary")
def summary(account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """The daily summary of the account: P&L, positions, risk, pending approvals, alerts."""
    from api.output import console, print_json
    from services.daily_summary import generate_daily_summary

    result = generate_daily_summary(execution_service(account), cli_actor(required=False))
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.render_text(), highlight=False)


@kill_app.command("on")
def kill_on(reason: str = typer.Option("manual kill switch", "--reason"),
            flatten: bool = typer.Option(False, "--flatten", help="Also close every position of the account "
                                         "(approver)."),
            account: str | None = typer.Option(None, "--account", help="the account --flatten closes (default: "
                                               "QUANTPILOT_PAPER_ACCOUNT); the halt covers every account"),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """HALT trading in every account now: cancel open orders, optionally close the account's positions (each close
    is listed with its final state; exit code 1 when one was refused). No approval needed (the safe direction)."""
    from api.output import console, print_json
    from quant.display.book import kill_switch_text

    report = execution_service(account).kill_switch_on(cli_actor(), reason=reason, flatten=flatten)
    if as_json:
        print_json(report.to_dict())
    else:
        console.print(kill_switch_text(report.to_dict()), highlight=False, markup=False, soft_wrap=True)
    if report.refused:
        raise typer.Exit(1)


@kill_app.command("request-off")
def kill_request_off(reason: str = typer.Option(..., "--reason"),
                     as_json: bool = typer.Option(False, "--json")) -> None:
    """Ask for the approval that turning the kill switch off needs; prints its id."""
    from api.output import console, print_json

    approval_id = execution_service().request_resume(cli_actor(), reason=reason)
    if as_json:
        print_json({"approval_id": approval_id})
    else:
        console.print(f"approval requested: {approval_id}. Another approver decides it with `quantpilot approvals "
                      f"approve {approval_id}`; then `quantpilot kill-switch off --approval {approval_id}`.",
                      highlight=False)


@kill_app.command("off")
def kill_off(approval_id: str = typer.Option(..., "--approval", help="An approved resume request."),
             account: str | None = typer.Option(None, "--account", help="whose state to report afterwards"),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Turn the kill switch off with an approved request for the current halt (an account its own breaker halted
    stays halted: see `quantpilot risk status`)."""
    from api.output import console, print_json

    service = execution_service(account)
    state = service.resume(cli_actor(), approval_id)
    if as_json:
        print_json({"trading_state": state.status.value, "account_id": service.account, "reason": state.reason,
                    "release": state.release})
    elif state.status.value == "active":
        console.print(f"kill switch off: account {service.account} is trading (active)", highlight=False)
    else:
        console.print(f"kill switch off, but account {service.account} is still {state.status.value}: {state.reason}."
                      f" To lift it: {state.release}", highlight=False, markup=False)
