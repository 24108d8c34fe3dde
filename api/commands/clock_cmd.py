"""``quantpilot paper clock``: which clock a paper account's book runs on, and moving its simulated market;
``quantpilot paper accounts``: every paper account with its clock and trading state."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from api.commands.risk_cmd import ACCOUNT_HELP

app = typer.Typer(help="A paper account's market clock: show, advance, set, real time.", no_args_is_help=True)


def parse_day(value: str, option: str) -> datetime:
    """``YYYY-MM-DD`` (or an ISO time) as a UTC moment; a clear ConfigError naming ``option`` otherwise."""
    from errors import ConfigError

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{option} {value!r} is not a date: write YYYY-MM-DD", details={"field": option}) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def clock_service():
    from config import get_settings
    from memory.db import connect
    from services.market_clock import MarketClockService

    settings = get_settings()
    return MarketClockService(connect(settings), settings)


def _print_clock(clock, as_json: bool) -> None:
    from api.output import console, print_json

    if as_json:
        print_json(clock.to_dict())
        return
    console.print(f"account {clock.account_id}: {clock.describe()}", highlight=False)


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
    from quant.display import counted, money, signed_money

    report = clock_service().advance(cli_actor(), account, sessions=days)
    if as_json:
        print_json(report.to_dict())
        return
    change = report.equity_after_usd - report.equity_before_usd
    console.print(f"account {report.account_id}: simulated market {report.start:%Y-%m-%d} → {report.end:%Y-%m-%d} "
                  f"({counted(report.sessions, 'session')}); {counted(len(report.fills), 'resting order')} filled; "
                  f"equity {money(report.equity_after_usd)} ({signed_money(change)}); trading "
                  f"{report.trading_state}", highlight=False, markup=False)
    if report.release:
        console.print(f"{report.reason}. To lift it: {report.release}", highlight=False, markup=False)


@app.command("set")
def set_(date: str = typer.Option(..., "--date", help="YYYY-MM-DD: the last stored session at or before it"),
         account: str | None = typer.Option(None, "--account", help=ACCOUNT_HELP),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """Put the account's simulated market on a date (backward only for an account without orders) (trader)."""
    from api.cli_auth import cli_actor

    _print_clock(clock_service().set_to(cli_actor(), account, parse_day(date, "--date")), as_json)


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
    from services.paper_accounts import known_accounts

    actor = cli_actor(required=False)
    service = execution_service()
    rows, shown = [], []
    for name in sorted({*known_accounts(service.database), service.account}):  # the default one, even untouched
        book_of = service.for_account(name)
        book, state, _ = book_of.risk_state(actor)
        clock = book_of.market_clock()
        rows.append({"account_id": name, "clock": clock.to_dict(), "trading_state": state.status.value,
                     "equity_usd": str(book.equity_usd), "positions": len(book.positions)})
        shown.append([name, clock.describe(), state.status.value.upper(), money(book.equity_usd),
                      count(len(book.positions))])
    if as_json:
        print_json(rows)
        return
    console.print(text_table(["account", "clock", "state", "equity", "positions"], shown), highlight=False,
                  markup=False)
