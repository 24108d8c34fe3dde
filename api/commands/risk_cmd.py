"""``quantpilot risk``: trading state and limit usage, the limits in force, and a pre-trade check."""

from __future__ import annotations

import typer

app = typer.Typer(help="Risk: trading state, limits, pre-trade checks.", no_args_is_help=True)


ACCOUNT_HELP = "the paper account (default: QUANTPILOT_PAPER_ACCOUNT, `paper`)"


def execution_service(account: str | None = None):
    """The execution service on the configured database and broker (paper unless configured live), in the paper
    ``account`` on its market clock."""
    from config import get_settings
    from memory.db import connect
    from services.execution_path import execution_service as configured

    settings = get_settings()
    return configured(connect(settings), settings, account=account)


def limit_service():
    """The risk-limit service on the configured database."""
    from config import get_settings
    from memory.db import connect
    from services.limits import LimitService

    settings = get_settings()
    return LimitService(connect(settings), allow_self_approval=settings.allow_self_approval)


@app.command("status")
def status(account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Trading state (ACTIVE/REDUCING/HALTED) of the account and why, the command that lifts a halt, its clock,
    equity, drawdown and daily loss against the limits."""
    from decimal import Decimal

    from api.cli_auth import cli_actor
    from api.output import console, print_fields, print_json
    from quant.display import money, percent_points, quantity, timestamp
    from services.risk_status import risk_status

    service = execution_service(account)
    data = risk_status(service, cli_actor(required=False))
    if as_json:
        print_json(data)
        return
    usd = {name: Decimal(data[name]) for name in ("equity_usd", "cash_usd", "peak_equity_usd")}
    fields = {"account": data["account_id"], "clock": service.market_clock().describe(),
              "trading state": data["trading_state"].upper() + (f" ({data['halt_id']})" if data["halt_id"] else "")}
    if data["reason"]:
        fields["why"] = data["reason"]
    if data["release"]:
        fields["to lift it"] = data["release"]
    fields.update({"equity": money(usd["equity_usd"]), "cash": money(usd["cash_usd"]),
                   "positions": ", ".join(f"{s} {quantity(Decimal(q))}" for s, q in sorted(data["positions"].items()))
                   or "none",
                   "drawdown": f"{percent_points(data['drawdown_pct'])} of the high-water mark "
                               f"{money(usd['peak_equity_usd'])} (halts at {percent_points(data['max_drawdown_pct'])})",
                   "daily loss": f"{percent_points(data['daily_loss_pct'])} "
                                 f"(reducing-only at {percent_points(data['daily_loss_limit_pct'])})"})
    print_fields(fields)
    if data["last_transitions"]:
        console.print("[bold]last transitions[/]:", highlight=False)
    for t in data["last_transitions"]:
        console.print(f"  {timestamp(t['ts'])} → {t['to_status']} by {t['actor']}: {t['reason']}", highlight=False,
                      markup=False)


@app.command("limits")
def limits(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The risk limits in force and the pending change proposals."""
    from agents.answers.approvals import limit_changes_text
    from api.cli_auth import cli_actor
    from api.output import console, print_json, print_table

    in_force, pending = limit_service().view(cli_actor(required=False))
    current = in_force.model_dump(mode="json")
    if as_json:
        print_json({"limits": current, "pending": pending})
        return
    print_table("risk limits", ["limit", "value"], [(name, "any" if value is None else value)
                                                    for name, value in sorted(current.items())])
    if not pending:
        console.print("pending changes: none", highlight=False)
        return
    print_table("pending changes", ["approval", "changes", "requested by", "applied by"],
                [[p["approval_id"], limit_changes_text(p["changes"]), p["requested_by"],
                  "the approval" if p["in_conversation"] else f"quantpilot risk apply {p['proposal_id']}"]
                 for p in pending])


@app.command("check")
def check(
    symbol: str = typer.Option(..., "--symbol"),
    qty: str = typer.Option(..., "--qty", help="shares"),
    side: str = typer.Option(..., "--side", help="buy|sell"),
    order_type: str = typer.Option("market", "--type", help="market|limit|stop|stop_limit"),
    limit_price: str | None = typer.Option(None, "--limit-price"),
    stop_price: str | None = typer.Option(None, "--stop-price"),
    strategy: str = typer.Option("manual", "--strategy"),
    as_of: str | None = typer.Option(None, "--as-of", help="decide at this date (YYYY-MM-DD), not after the "
                                     "account's clock; default: the account's now"),
    account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Would the risk policy pass this order at the account's clock (or --as-of)? Nothing is sent. Exit code 2
    when rejected."""
    from api.cli_auth import cli_actor
    from api.output import console, print_json
    from quant.display.risk_check import check_verdict
    from services.market_clock import moment_of
    from services.pre_trade_check import check_order

    answer = check_order(execution_service(account), cli_actor(required=False),
                         as_of=moment_of(as_of, "--as-of") if as_of else None, symbol=symbol, side=side, qty=qty,
                         strategy_id=strategy, order_type=order_type, limit_price=limit_price, stop_price=stop_price)
    data = answer.to_dict()
    if as_json:
        print_json(data)
    else:
        console.print(check_verdict(data), style="green" if answer.approved else "red", highlight=False,
                      markup=False)
    if not answer.approved:
        raise typer.Exit(2)


@app.command("propose")
def propose(
    change: list[str] = typer.Option(..., "--set", help="LIMIT=VALUE, e.g. max_drawdown_pct=12 (repeatable)"),
    reason: str = typer.Option(..., "--reason", help="Why (shown to whoever decides)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Propose a risk limit change (trader); another approver decides it, then `risk apply` puts it in force."""
    from api.cli_auth import cli_actor
    from api.output import console, print_json
    from errors import ConfigError

    changes = {}
    for item in change:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ConfigError(f"--set {item!r}: write LIMIT=VALUE", details={"field": "set"})
        changes[name.strip()] = value.strip()
    proposal, approval_id, diff = limit_service().propose(cli_actor(), changes, reason=reason)
    if as_json:
        print_json({"proposal_id": proposal.proposal_id, "approval_id": approval_id, "changes": diff})
        return
    console.print(f"proposed {proposal.proposal_id}: approval {approval_id} waits for another approver "
                  f"(`quantpilot approvals approve {approval_id}`), then `quantpilot risk apply "
                  f"{proposal.proposal_id}`", highlight=False)


@app.command("apply")
def apply(proposal_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """Put an approved limit change in force (trader)."""
    from api.cli_auth import cli_actor
    from api.output import console, print_json

    limits = limit_service().apply(cli_actor(), proposal_id)
    if as_json:
        print_json(limits.model_dump(mode="json"))
    else:
        console.print(f"limits in force now (proposal {proposal_id} applied)", highlight=False)
