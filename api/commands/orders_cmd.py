"""``quantpilot orders``: list, show, cancel; positions, reconcile, kill switch and the daily summary."""

from __future__ import annotations

import typer

from api.cli_auth import cli_actor
from api.commands.risk_cmd import execution_service

app = typer.Typer(help="Orders, positions, reconciliation, kill switch, daily summary.", no_args_is_help=True)
kill_app = typer.Typer(help="The kill switch: on (trader; --flatten: approver) / request-off / off (needs an "
                       "approval someone else decided).", no_args_is_help=True)
app.add_typer(kill_app, name="kill-switch")


@app.command("list")
def list_(status: str | None = typer.Option(None, "--status", help="an order status, or 'open'"),
          symbol: str | None = typer.Option(None, "--symbol"), limit: int = typer.Option(50, "--limit"),
          as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Orders, newest first."""
    from api.output import print_json, print_table

    records = [r.to_dict() for r in execution_service().orders_list(cli_actor(required=False), status=status,
                                                                     symbol=symbol, limit=limit)]
    if as_json:
        print_json(records)
        return
    print_table("orders", ["id", "symbol", "side", "qty", "status", "filled", "avg price", "strategy", "by"],
                [[r["client_order_id"], r["symbol"], r["side"], r["qty"], r["status"], r["filled_qty"],
                  r["avg_fill_price"], r["strategy_id"], r["requested_by"]] for r in records])


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
def positions(as_json: bool = typer.Option(False, "--json")) -> None:
    """Positions, cash and equity at the broker."""
    from api.output import print_json, print_table

    account, held = execution_service().positions(cli_actor(required=False))
    rows = [{"symbol": p.symbol, "qty": str(p.qty), "avg_entry_price": str(p.avg_entry_price)} for p in held]
    if as_json:
        print_json({"cash_usd": str(account.cash_usd), "equity_usd": str(account.equity_usd), "positions": rows})
        return
    print_table(f"positions (cash {account.cash_usd:.2f}, equity {account.equity_usd:.2f})",
                ["symbol", "qty", "avg entry $"],
                [[p.symbol, f"{p.qty.normalize():f}", f"{p.avg_entry_price:.4f}"] for p in held])


@app.command("reconcile")
def reconcile(as_json: bool = typer.Option(False, "--json")) -> None:
    """Our recorded fills vs the broker's positions; exit code 2 on a discrepancy."""
    from api.output import console, print_json

    result = execution_service().reconcile(cli_actor())
    if as_json:
        print_json(result.to_dict())
    else:
        console.print("positions match" if result.matched else f"discrepancies: {list(result.discrepancies)}",
                      highlight=False)
    if not result.matched:
        raise typer.Exit(2)


@app.command("summary")
def summary(as_json: bool = typer.Option(False, "--json")) -> None:
    """The daily summary: P&L, positions, risk, pending approvals, alerts."""
    from api.output import console, print_json
    from services.daily_summary import generate_daily_summary

    result = generate_daily_summary(execution_service(), cli_actor(required=False))
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.render_text(), highlight=False)


@kill_app.command("on")
def kill_on(reason: str = typer.Option("manual kill switch", "--reason"),
            flatten: bool = typer.Option(False, "--flatten", help="Also close every position (approver)."),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """HALT trading now: cancel open orders, optionally flatten. No approval needed (the safe direction)."""
    from api.output import console, print_json

    report = execution_service().kill_switch_on(cli_actor(), reason=reason, flatten=flatten)
    data = {"trading_state": report.state.status.value, "halt_id": report.state.halt_id,
            "canceled": list(report.canceled), "flatten_orders": len(report.flatten_orders)}
    if as_json:
        print_json(data)
    else:
        console.print(f"trading HALTED ({data['halt_id']}); canceled {len(report.canceled)}, "
                      f"flatten orders {data['flatten_orders']}", highlight=False)


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
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Resume trading with an approved request for the current halt."""
    from api.output import console, print_json

    state = execution_service().resume(cli_actor(), approval_id)
    if as_json:
        print_json({"trading_state": state.status.value})
    else:
        console.print(f"trading {state.status.value}", highlight=False)
