"""``quantpilot paper clock``: which clock a paper account's book runs on, and moving its simulated market;
``quantpilot paper accounts``: every paper account with its clock and trading state."""

from __future__ import annotations

import typer

from api.commands.risk_cmd import ACCOUNT_HELP

app = typer.Typer(help="A paper account's market clock: show, advance, set, real time.", no_args_is_help=True)


def clock_service():
    from config import get_settings
    from memory.db import connect
    from services.market_clock import MarketClockService

    settings = get_settings()
    return MarketClockService(connect(settings), settings)


def _print_clock(clock, as_json: bool) -> None:
    from api.output import console, print_json
    from quant.display.clock import clock_text

    if as_json:
        print_json(clock.to_dict())
        return
    console.print(clock_text(clock.account_id, clock.describe()), highlight=False, markup=False)


@app.command("show")
def show(account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """The clock the account's book runs on: a simulated market (and where it stands) or real time."""
    _print_clock(clock_service().clock(account), as_json)


@app.command("advance")
def advance(days: int = typer.Option(1, "--days", help="sessions (stored bars) to step forward"),
            account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Step the account's simulated market forward bar by bar: resting orders fill at each new bar, positions
    are marked there and the breakers see the new equity (trader)."""
    from api.cli_auth import cli_actor
    from api.output import console, print_json
    from quant.display.clock import clock_advance_text

    report = clock_service().advance(cli_actor(), account, sessions=days)
    if as_json:
        print_json(report.to_dict())
        return
    console.print(clock_advance_text(report.to_dict()), highlight=False, markup=False)


@app.command("set")
def set_(date: str = typer.Option(..., "--date", help="YYYY-MM-DD: the last stored session at or before it"),
         account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """Put the account's simulated market on a date (backward only for an account without orders) (trader)."""
    from api.cli_auth import cli_actor
    from services.market_clock import moment_of

    _print_clock(clock_service().set_to(cli_actor(), account, moment_of(date, "--date")), as_json)


@app.command("real")
def real(account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """Leave the simulated market: the account's "now" becomes real time (needs current data) (trader)."""
    from api.cli_auth import cli_actor

    _print_clock(clock_service().use_real_time(cli_actor(), account), as_json)


def accounts(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every paper account: its clock, trading state, equity and positions."""
    from api.cli_auth import cli_actor
    from api.commands.risk_cmd import execution_service
    from api.output import console, print_json
    from quant.display import count, money, text_table
    from services.paper_accounts import accounts_overview

    overview = accounts_overview(execution_service(), cli_actor(required=False))
    if as_json:
        print_json([row.to_dict() for row in overview])
        return
    console.print(text_table(["account", "clock", "state", "equity", "positions"],
                             [[row.account_id, row.clock.describe(), row.trading_state.upper(),
                               money(row.equity_usd), count(row.positions)] for row in overview]),
                  highlight=False, markup=False)
