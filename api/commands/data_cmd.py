"""``quantpilot data``: load, list, show and check market data."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Market data: load, list, show, quality, schedules.", no_args_is_help=True)

SOURCES = "bundled|synthetic|csv|parquet|yfinance|alpaca"


def _service(*, acting: bool = False):
    """The market-data service for the signed-in user (``acting``: loading needs a trader's key); reads work
    without a key, as the local reader."""
    from api.cli_auth import cli_actor
    from memory.db import connect
    from services.market_data import MarketDataService

    return MarketDataService(connect(), actor=cli_actor(required=acting))


def _parse_map(pairs: list[str]) -> dict[str, str]:
    from errors import ConfigError

    mapping = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--map expects FILE_COLUMN=FIELD, got {pair!r}")
        src, dst = pair.split("=", 1)
        mapping[src.strip()] = dst.strip()
    return mapping


@app.command("load")
def load(
    source: str = typer.Option("bundled", "--source", help=f"One of {SOURCES}."),
    symbols: str | None = typer.Option(None, "--symbols", help="Comma-separated, e.g. AAPL,MSFT."),
    start: str | None = typer.Option(None, "--start", help="First date, YYYY-MM-DD."),
    end: str | None = typer.Option(None, "--end", help="Last date, YYYY-MM-DD."),
    path: Path | None = typer.Argument(None, help="File to import (csv/parquet sources)."),
    symbol: str | None = typer.Option(None, "--symbol", help="Symbol of a single-symbol file (--symbols with one "
                                                              "symbol does the same)."),
    column_map: list[str] = typer.Option([], "--map", help="Column mapping FILE_COLUMN=FIELD (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Fetch bars, validate them, and store them (all or nothing)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from api.output import console, print_json, print_table
    from errors import ConfigError, DataError
    from quant.display import count, counted

    if source in ("csv", "parquet") and path is None:
        raise ConfigError(f"--source {source} needs a PATH to the file")
    service = _service(acting=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=as_json or not console.is_terminal,  # no stray line in a pipe
    ) as bar:
        task = bar.add_task(f"loading from {source}", total=None)

        def progress(done: int, total: int, current: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{source}: {current}")

        try:
            report = service.load(
                source, symbols, start, end, path=path, column_map=_parse_map(column_map) or None,
                symbol=symbol, progress=progress,
            )
        except DataError as exc:
            if "symbol" not in (exc.details or {}).get("missing", []):
                raise
            raise DataError(f"{exc.message}: give it with --symbol SYMBOL (or --symbols SYMBOL)", code=exc.code,
                            details=exc.details) from None
    if as_json:
        print_json(report.to_dict())
        return
    data = report.to_dict()
    print_table(
        f"loaded {counted(len(data['symbols']), 'symbol')} from {source}: {', '.join(data['symbols'][:8])}"
        + (" …" if len(data["symbols"]) > 8 else ""),
        ["rows", "inserted", "updated", "unchanged", "warnings"],
        [tuple(count(data[k]) for k in ("rows", "inserted", "updated", "unchanged", "warnings"))],
    )
    _print_warnings(data["warnings"], data["warning_samples"])


def _print_warnings(total: int, samples: list[dict]) -> None:
    """The warnings a load found (the bars were stored; these are worth a look), the first ones listed."""
    from api.output import console
    from quant.display import counted, day

    if not total:
        return
    shown = f" (the first {len(samples)})" if len(samples) < total else ""
    console.print(f"{counted(total, 'warning')}{shown}; the bars were stored:", highlight=False)
    for w in samples:
        console.print(f"  {w.get('symbol')} {day(w.get('ts'))}: {w.get('rule')} — {w.get('detail')}",
                      highlight=False, markup=False)
    if len(samples) < total:
        console.print("  the rest: quantpilot data quality SYMBOL", highlight=False, markup=False)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Stored symbols with bar counts and date ranges."""
    from dataclasses import asdict

    from api.output import print_json, print_table
    from quant.display import count, day

    rows = _service().list_symbols()
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    print_table(
        "stored market data",
        ["symbol", "bars", "first", "last", "source", "closes only"],
        [(r.symbol, count(r.bars), day(r.first_ts), day(r.last_ts), r.source, r.closes_only) for r in rows],
    )


@app.command("show")
def show(
    symbol: str = typer.Argument(..., help="Symbol, e.g. AAPL."),
    as_of: str | None = typer.Option(None, "--as-of", help="Show only what was known at this date."),
    start: str | None = typer.Option(None, "--start"),
    end: str | None = typer.Option(None, "--end"),
    tail: int = typer.Option(10, "--tail", min=1, help="Rows to print (table mode)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (all rows in range)."),
) -> None:
    """Bars of one symbol, point in time."""
    from api.output import print_json, print_table
    from quant.display import count, day, number

    bars = _service().show(symbol, as_of=as_of, start=start, end=end)
    if as_json:
        records = bars.astype(object).where(bars.notna(), None).to_dict(orient="records")
        print_json({"symbol": symbol.upper(), "as_of": as_of, "bars": records})
        return
    shown = bars.tail(tail)
    print_table(
        f"{symbol.upper()} — {len(bars)} bars" + (f" as of {as_of}" if as_of else ""),
        ["date", "open", "high", "low", "close", "volume"],
        [(day(r.ts), *(number(v, 2) for v in (r.open, r.high, r.low, r.close)), count(r.volume))
         for r in shown.itertuples()],
    )


@app.command("quality")
def quality(
    symbol: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The latest data-quality report of a symbol (warnings found at load time)."""
    from rich.markup import escape

    from api.output import console, print_json, print_table
    from quant.display import count, day, timestamp

    report = _service().quality(symbol)
    if as_json:
        print_json(report)
        return
    print_table(
        f"quality of {report['symbol']} (loaded {timestamp(report['created_at'])} from {report['source']})",
        ["rows", "errors", "warnings", "first", "last"],
        [(count(report["n_rows"]), count(report["n_errors"]), count(report["n_warnings"]), day(report["first_ts"]),
          day(report["last_ts"]))],
    )
    for issue in report["issues"][:20]:
        console.print(f"  [yellow]{escape(str(issue.get('rule')))}[/] {day(issue.get('ts'))}: "
                      f"{escape(str(issue.get('detail')))}", highlight=False)


@app.command("schedule")
def schedule(
    symbols: str = typer.Option(..., "--symbols", help="Comma-separated symbols."),
    source: str = typer.Option("yfinance", "--source", help=f"One of {SOURCES}."),
    cron: str = typer.Option(..., "--cron", help='Crontab expression, e.g. "30 22 * * 1-5".'),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Store a recurring collection job; `quantpilot serve` runs due schedules."""
    from api.output import console, print_json

    created = _service(acting=True).schedule(symbols, source, cron)
    if as_json:
        print_json(created)
    else:
        console.print(f"schedule {created['id']}: {source} {','.join(created['symbols'])} at '{cron}' "
                      f"(next run {created['next_run']})")


@app.command("schedules")
def schedules(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Stored collection schedules with their last outcome."""
    from api.output import print_json, print_table

    rows = _service().schedules()
    if as_json:
        print_json(rows)
        return
    print_table("collection schedules", ["id", "source", "symbols", "cron", "next run", "last outcome"],
                [(r["id"], r["source"], ",".join(r["symbols"]), r["cron"], r["next_run"], r["last_outcome"] or "—")
                 for r in rows])
