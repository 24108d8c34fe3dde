"""``quantpilot demo``: the main job on the embedded defaults, offline."""

from __future__ import annotations

import typer


def demo(as_json: bool = typer.Option(False, "--json", help="Print a JSON summary at the end.")) -> None:
    """Start the embedded database, migrate, load the bundled real prices, show what is there."""
    import time

    from api.output import console, print_json, print_table
    from memory.db import connect
    from memory.market_data import MarketDataService
    from memory.status import database_status

    started = time.perf_counter()
    console.rule("[bold]quantpilot demo[/] — offline, embedded defaults")
    database = connect()
    status = database_status()
    console.print(
        f"database: {status['server']} PostgreSQL {status['postgres_version']}, "
        f"pgvector {status['pgvector_version']}, schema {status['migration']}"
    )
    service = MarketDataService(database)
    with console.status("loading bundled real daily prices (skfolio S&P 500 stocks, arch indices)…"):
        report = service.load("bundled")
    console.print(
        f"loaded {report.rows:,} bars for {len(report.symbols)} symbols: "
        f"{report.inserted:,} new, {report.updated:,} revised, "
        f"{report.rows - report.inserted - report.updated:,} already stored; {report.warnings} warnings"
    )
    summaries = service.list_symbols()
    print_table(
        "market data now stored",
        ["symbol", "bars", "first", "last", "closes only"],
        [(s.symbol, f"{s.bars:,}", s.first_ts.date(), s.last_ts.date(), s.closes_only) for s in summaries],
    )
    elapsed = time.perf_counter() - started
    console.print(f"[green]done[/] in {elapsed:.1f}s. Next: `quantpilot data show AAPL --as-of 2020-03-20`.")
    if as_json:
        print_json({"load": report.to_dict(), "symbols": len(summaries), "elapsed_s": round(elapsed, 2)})
