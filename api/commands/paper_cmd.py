"""``quantpilot paper run``: replay stored history bar by bar through the gated paper broker."""

from __future__ import annotations

import typer

app = typer.Typer(help="Paper trading on replayed history.", no_args_is_help=True)


@app.command("run")
def run(
    strategy: str = typer.Option(..., "--strategy", help="a registered strategy id, or a strategy name"),
    symbols: str = typer.Option(..., "--symbols", help="comma-separated, e.g. AAPL,MSFT"),
    start: str | None = typer.Option(None, "--start", help="first bar to trade (YYYY-MM-DD)"),
    end: str | None = typer.Option(None, "--end", help="last bar (YYYY-MM-DD)"),
    speed: float = typer.Option(0.0, "--speed", help="bars per second; 0 = as fast as possible"),
    params: str | None = typer.Option(None, "--params", help="strategy parameters as JSON"),
    account: str = typer.Option("paper", "--account"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every order passes the risk policy, the stored approval and the trading state; refusals are counted."""
    import json

    from api.cli_auth import cli_actor
    from api.output import console, print_json
    from config import get_settings
    from errors import ConfigError
    from memory.db import connect
    from services.paper_loop import run_paper

    try:
        parsed = json.loads(params) if params else None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params is not valid JSON: {exc}", details={"field": "params"}) from None
    settings = get_settings()
    report = run_paper(connect(settings), cli_actor(), strategy=strategy, symbols=symbols.split(","), start=start,
                       end=end, speed=speed, params=parsed, settings=settings, account_id=account)
    if as_json:
        print_json(report.to_dict())
        return
    console.print(f"{report.strategy_id} on {','.join(report.symbols)}: {report.bars} bars, orders "
                  f"{dict(report.orders)}, refusals {dict(report.refusals)}", highlight=False)
    if report.first_refusal:
        console.print(f"first refusal: {report.first_refusal}", highlight=False)
    console.print(f"equity {report.start_equity_usd:.2f} -> {report.end_equity_usd:.2f}", highlight=False)
