"""``quantpilot paper run``: replay stored history bar by bar through the gated paper broker."""

from __future__ import annotations

import typer

from api.commands.cost_options import CAPITAL, COMMISSION, COMMISSION_BPS, COMMISSION_PER_SHARE, SLIPPAGE_BPS

app = typer.Typer(help="Paper trading on replayed history.", no_args_is_help=True)


@app.command("run")
def run(
    strategy: str = typer.Option(..., "--strategy", help="a registered strategy id, or a strategy name"),
    symbols: str = typer.Option(..., "--symbols", metavar="AAPL,MSFT", help="comma-separated symbols"),
    start: str | None = typer.Option(None, "--start", metavar="YYYY-MM-DD", help="first bar to trade"),
    end: str | None = typer.Option(None, "--end", metavar="YYYY-MM-DD", help="last bar"),
    speed: float = typer.Option(0.0, "--speed", help="bars per second; 0 = as fast as possible"),
    params: str | None = typer.Option(None, "--params", help="strategy parameters as JSON"),
    account: str = typer.Option("paper", "--account", help="the paper account (a book of its own)"),
    capital: float | None = CAPITAL, commission: float | None = COMMISSION,
    commission_per_share: float | None = COMMISSION_PER_SHARE, commission_bps: float | None = COMMISSION_BPS,
    slippage_bps: float | None = SLIPPAGE_BPS,
    as_json: bool = typer.Option(False, "--json", help="Print JSON (every digit)."),
) -> None:
    """Every order passes the risk policy, the stored approval and the trading state; refusals are counted."""
    import json
    from decimal import Decimal

    from api.cli_auth import cli_actor
    from api.commands.research_tables import costs_line, say
    from api.output import print_json
    from config import get_settings
    from errors import ConfigError
    from memory.db import connect
    from quant.display import count, money, signed_money
    from services.paper_loop import PaperCosts, run_paper

    try:
        parsed = json.loads(params) if params else None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params is not valid JSON: {exc}", details={"field": "params"}) from None
    given = {"starting_cash_usd": capital, "commission_usd": commission,
             "commission_per_share_usd": commission_per_share, "commission_bps": commission_bps,
             "slippage_bps": slippage_bps}
    costs = PaperCosts(**{k: Decimal(str(v)) for k, v in given.items() if v is not None})
    settings = get_settings()
    report = run_paper(connect(settings), cli_actor(), strategy=strategy, symbols=symbols.split(","), start=start,
                       end=end, speed=speed, params=parsed, settings=settings, account_id=account, costs=costs)
    if as_json:
        print_json(report.to_dict())
        return
    orders = ", ".join(f"{count(n)} {status}" for status, n in sorted(report.orders.items())) or "none"
    refusals = ", ".join(f"{count(n)} {code}" for code, n in sorted(report.refusals.items())) or "none"
    say(f"{report.strategy_id} on {', '.join(report.symbols)} (account {account}): {count(report.bars)} bars; "
        f"orders {orders}; refusals {refusals}")
    costs_line(report.costs)
    if report.first_refusal:
        say(f"first refusal: {report.first_refusal}")
    say(f"equity {money(report.start_equity_usd)} → {money(report.end_equity_usd)} "
        f"({signed_money(report.end_equity_usd - report.start_equity_usd)})")
