"""Ingest speed: our COPY + guarded upsert vs the usual ways of writing bars, in one run.

Loads the 20 bundled S&P 500 stocks (skfolio, 166,260 closes) into a fresh embedded Postgres
and prints medians and ratios. Run: `.venv/bin/python benchmarks/ingest.py [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QUANTPILOT_HOME", tempfile.mkdtemp(prefix="quantpilot-bench-"))

from sqlalchemy import text  # noqa: E402

from config import Settings  # noqa: E402
from memory.bars import BarStore  # noqa: E402
from memory.db import connect  # noqa: E402
from quant.data.providers.bundled import BundledProvider  # noqa: E402


def _bundled_stocks():
    provider = BundledProvider()
    stocks = [s for s in provider.available_symbols() if s not in {"SP500", "GSPC", "IXIC", "MTUM", "QUAL",
                                                                     "SIZE", "USMV", "VLUE"}]
    return provider.fetch(stocks, None, None)


def _truncate(db) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE bars, instruments"))


def _time(fn, repeat: int, setup=None) -> float:
    samples = []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()

    db = connect(Settings())
    store = BarStore(db)
    bars = _bundled_stocks()
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
    results = {
        "rows": len(bars),
        "executemany_insert_s": _time(executemany_insert, args.repeat, reset),
        "pandas_to_sql_s": _time(to_sql, args.repeat, reset),
        "plain_copy_s": _time(plain_copy, args.repeat, reset),
        "quantpilot_first_load_s": _time(ours, args.repeat, reset),
    }
    _truncate(db)
    ours()
    results["quantpilot_rerun_s"] = _time(ours, args.repeat)
    base = results["executemany_insert_s"]
    print(f"ingest of {results['rows']:,} bars (median of {args.repeat}):")
    for key in ("executemany_insert_s", "pandas_to_sql_s", "plain_copy_s", "quantpilot_first_load_s",
                "quantpilot_rerun_s"):
        print(f"  {key:<26} {results[key]:7.3f} s   {base / results[key]:5.2f}x vs executemany")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
