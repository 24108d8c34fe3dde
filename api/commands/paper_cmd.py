"""``quantpilot paper``: run a strategy on a paper account's simulated market, its clock, and the accounts."""

from __future__ import annotations

import typer

from api.commands import clock_cmd
from api.commands.cost_options import CAPITAL, COMMISSION, COMMISSION_BPS, COMMISSION_PER_SHARE, SLIPPAGE_BPS
from api.commands.risk_cmd import ACCOUNT_HELP

app = typer.Typer(help="Paper trading: run a strategy on the simulated market, the market clock, the accounts.",
                  no_args_is_help=True)
app.add_typer(clock_cmd.app, name="clock")
app.command("accounts")(clock_cmd.accounts)


@app.command("run")
def run(
    strategy: str = typer.Option(..., "--strategy", help="a registered strategy id at the paper (or live) stage"),
    symbols: str = typer.Option(..., "--symbols", metavar="AAPL,MSFT", help="comma-separated symbols"),
    start: str | None = typer.Option(None, "--start", metavar="YYYY-MM-DD", help="first bar to trade; default: the "
                                     "bar after the account's clock"),
    end: str | None = typer.Option(None, "--end", metavar="YYYY-MM-DD", help="last bar; default: the newest stored "
                                   "bar"),
    speed: float = typer.Option(0.0, "--speed", help="bars per second; 0 = as fast as possible"),
    params: str | None = typer.Option(None, "--params", help="strategy parameters as JSON"),
    account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
    capital: float | None = CAPITAL, commission: float | None = COMMISSION,
    commission_per_share: float | None = COMMISSION_PER_SHARE, commission_bps: float | None = COMMISSION_BPS,
    slippage_bps: float | None = SLIPPAGE_BPS,
    as_json: bool = typer.Option(False, "--json", help="Print JSON (every digit)."),
) -> None:
    """Trade the strategy bar by bar on the account's simulated market: every order passes the risk policy, the
    stored approval and the trading state. Refused at once on a halted account or a strategy not at paper."""
    import json
    from decimal import Decimal

    from api.cli_auth import cli_actor
    from api.output import print_json
    from config import get_settings
    from errors import ConfigError
    from memory.db import connect
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
    with _progress(not as_json) as progress:
        report = run_paper(connect(settings), cli_actor(), strategy=strategy, symbols=symbols.split(","),
                           start=start, end=end, speed=speed, params=parsed, settings=settings, account_id=account,
                           costs=costs, progress=progress)
    if as_json:
        print_json(report.to_dict())
        return
    _print_report(report)


def _print_report(report) -> None:
    from api.commands.research_tables import costs_line
    from api.output import console
    from quant.display import counted, joined, money, signed_money

    orders = sum(report.orders.values())
    refused = sum(report.refusals.values())
    clock = f", clock now at {report.end_ts:%Y-%m-%d}" if report.end_ts else ""
    console.print(f"{report.strategy_id} on {joined(report.symbols)} in account {report.account_id}: "
                  f"{counted(report.bars, 'bar')} replayed{clock}; {counted(orders, 'order')} sent"
                  + (f" ({', '.join(f'{n} {s}' for s, n in sorted(report.orders.items()))})" if orders else "")
                  + f", {counted(refused, 'refusal')}", highlight=False, markup=False)
    for code, n in sorted(report.refusals.items()):
        console.print(f"  refused {n}× {code}", highlight=False, markup=False)
    costs_line(report.costs)
    if report.first_refusal:
        console.print(f"first refusal: {report.first_refusal}", highlight=False, markup=False)
    change = report.end_equity_usd - report.start_equity_usd
    console.print(f"equity {money(report.start_equity_usd)} → {money(report.end_equity_usd)} "
                  f"({signed_money(change)})", highlight=False, markup=False)
    if report.stopped:
        console.print(f"stopped: {report.stopped}. To lift it: {report.release}", highlight=False, markup=False)


class _progress:
    """A progress bar on a terminal (bars done of all, the simulated date); nothing otherwise."""

    def __init__(self, wanted: bool) -> None:
        from api.output import console

        self.bar = None
        if wanted and console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("replaying {task.fields[day]}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=console, transient=True)
        self.task = None

    def __enter__(self):
        if self.bar is None:
            return None
        self.bar.start()

        def advance(done: int, total: int, now) -> None:
            if self.task is None:
                self.task = self.bar.add_task("paper run", total=total, day="")
            self.bar.update(self.task, completed=done, day=f"{now:%Y-%m-%d}")

        return advance

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
