"""Ingest speed: our COPY + guarded upsert vs the usual ways of writing bars, in one run.

Loads the 20 bundled S&P 500 stocks (skfolio, 166,260 closes) into a fresh embedded Postgres
and prints medians and ratios, then one JSON line per method (``emit``: wall and client CPU
seconds; the server's CPU is not counted). Goals: first load <= 1.2 s, a re-run (every row
already stored) no slower than the first load.
Run: `.venv/bin/python benchmarks/ingest.py [--repeat 3] [--quick]` (``--quick``: 2 stocks, 1 repeat).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from benchmarks.peers.workloads import emit  # noqa: E402
from config import Settings  # noqa: E402
from memory.bars import BarStore  # noqa: E402
from memory.db import connect  # noqa: E402
from quant.data.providers.bundled import BundledProvider  # noqa: E402


def _bundled_stocks(limit: int | None = None):
    provider = BundledProvider()
    stocks = [s for s in provider.available_symbols() if s not in {"SP500", "GSPC", "IXIC", "MTUM", "QUAL",
                                                                     "SIZE", "USMV", "VLUE"}]
    return provider.fetch(stocks[:limit], None, None)


def _truncate(db) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE bars, instruments"))


def _time(fn, repeat: int, setup=None) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds of this process) over ``repeat`` runs, ``setup`` untimed."""
    wall, cpu = [], []
    for _ in range(repeat):
        if setup:
            setup()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return sorted(wall)[len(wall) // 2], sorted(cpu)[len(cpu) // 2]


def main() -> None:
    from benchmarks.isolation import use_private_home

    if "QUANTPILOT_HOME" not in os.environ:
        use_private_home("quantpilot-bench-")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--quick", action="store_true", help="2 stocks, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 1

    db = connect(Settings())
    store = BarStore(db)
    bars = _bundled_stocks(2 if args.quick else None)
    rows = [
        (r.symbol, "1d", r.ts.to_pydatetime(), None, None, None, float(r.close), None, "bundled")
        for r in bars.itertuples()
    ]

    def executemany_insert() -> None:
        raw = db.engine.raw_connection()
        with raw.cursor() as cur:
            cur.executemany(
                "INSERT INTO bars (symbol, timeframe, ts, open, high, low, close, volume, source)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
        raw.commit()
        raw.close()

    def to_sql() -> None:
        frame = bars.assign(timeframe="1d", source="bundled")
        frame.to_sql("bars", db.engine, if_exists="append", index=False, method="multi", chunksize=5000)

    def plain_copy() -> None:
        payload = BarStore._csv_payload(bars, "bundled", "1d")
        raw = db.engine.raw_connection()
        with raw.cursor() as cur, cur.copy(
            "COPY bars (symbol, timeframe, ts, open, high, low, close, volume, source) FROM STDIN (FORMAT csv)"
        ) as cp:
            cp.write(payload)
        raw.commit()
        raw.close()

    def ours() -> None:
        store.upsert(bars, "bundled")

    reset = lambda: _truncate(db)  # noqa: E731
    timings = {
        "executemany_insert": _time(executemany_insert, args.repeat, reset),
        "pandas_to_sql": _time(to_sql, 1, reset),  # one run: by far the slowest way (~40 s for all bars)
        "plain_copy": _time(plain_copy, args.repeat, reset),
        "quantpilot_first_load": _time(ours, args.repeat, reset),
    }
    _truncate(db)
    ours()
    timings["quantpilot_rerun"] = _time(ours, args.repeat)
    results = {"rows": len(bars), **{f"{k}_s": v[0] for k, v in timings.items()}}
    base = results["executemany_insert_s"]
    print(f"ingest of {results['rows']:,} bars (median of {args.repeat}):", file=sys.stderr)
    for key, timing in timings.items():
        print(f"  {key:<24} {timing[0]:7.3f} s   {base / timing[0]:5.2f}x vs executemany", file=sys.stderr)
        workload = "ingest_rerun_bundled_stocks" if key == "quantpilot_rerun" else "ingest_bundled_stocks"
        peer = "quantpilot BarStore.upsert" if key.startswith("quantpilot") else key.replace("_", " ")
        emit(workload, peer, timing, rows=len(bars), repeats=args.repeat, note="client CPU only")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
