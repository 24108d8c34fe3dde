"""Time to render a walk-forward run's HTML report, as a fresh process pays it (imports and plotly included).

The inputs have a stored walk-forward's shape: 10 years of business days, an account of four sleeves and its
total, 200 trades with closes under them, 8 folds, the overfitting block. Each run is its own process: first
render (cold: module imports, plotly's first use) and a second render of the same inputs (warm), with peak RSS.
Run: `.venv/bin/python benchmarks/report_render.py [--runs 3] [--tree DIR] [--quick]`; one JSON line per run,
then the medians (``--tree``: render with another checkout, e.g. an export of main, for a before/after).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, resource, time
t0 = time.perf_counter()
import numpy as np, pandas as pd
from quant.reports.html import render_backtest_report
imported = time.perf_counter()
rng = np.random.default_rng(0)
index = pd.bdate_range("2015-01-02", periods=2520, tz="UTC")
symbols = ["AAPL", "MSFT", "JPM", "XOM"]
sleeves = pd.DataFrame({s: 25_000 * np.cumprod(1 + rng.normal(0.0004, 0.012, len(index))) for s in symbols},
                       index=index)
total = sleeves.sum(axis=1)
account = pd.concat([total.rename("total"), sleeves], axis=1)
prices = pd.DataFrame({s: 100 * np.cumprod(1 + rng.normal(0.0003, 0.015, len(index))) for s in symbols}, index=index)
entry = np.sort(rng.choice(len(index) - 30, 200, replace=False))
trades = pd.DataFrame({"entry_ts": index[entry], "exit_ts": index[entry + 20], "symbol": rng.choice(symbols, 200),
                       "qty": 10, "entry_price": 100.0, "exit_price": 101.0, "pnl": 10.0, "fees": 1.0})
folds = [{"fold": i + 1, "oos_start": str(index[300 * i + 100].date()), "oos_end": str(index[300 * i + 399].date()),
          "params": {"fast": 10, "slow": 50}, "trades": 25, "metrics": {"sharpe": 0.5, "total_return": 0.04}}
         for i in range(8)]
overfitting = {"deflated_sharpe": 0.42, "pbo": 0.31, "n_trials": 174, "n_obs": 2520, "n_splits": 16}
metrics = {"sharpe": 0.61, "total_return": 0.35, "max_drawdown": -0.18, "trades": 200}

def render():
    return render_backtest_report(total, metrics, title="sma walkforward", trades=trades, prices=prices,
                                  sleeves=account, folds=folds, overfitting=overfitting)

start = time.perf_counter()
page = render()
first = time.perf_counter()
render()
second = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"cpu_s": usage.ru_utime + usage.ru_stime,
                  "import_s": imported - t0, "first_render_s": first - start, "second_render_s": second - first,
                  "process_to_page_s": first - t0, "page_kb": len(page.encode()) // 1024,
                  "peak_rss_mb": usage.ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run (a smoke run)")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to render with (another checkout)")
    args = parser.parse_args()
    rows = []
    for _ in range(1 if args.quick else max(args.runs, 1)):
        out = subprocess.run([sys.executable, "-c", _CHILD], cwd=args.tree, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout))
        print(json.dumps({k: round(v, 3) for k, v in rows[-1].items()}))
    medians = {k: round(statistics.median(r[k] for r in rows), 3) for k in rows[0]}
    print(json.dumps({"median_of": len(rows), **medians, "load_1min": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
