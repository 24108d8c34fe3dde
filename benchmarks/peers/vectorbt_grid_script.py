"""What a vectorbt user runs for the 174-pair grid: import vectorbt, load the 20 bundled stocks, run
the grid once, print the answer. ``benchmarks/end_to_end.py`` times it as a process (start to
answer, peak RSS), beside ``quantpilot backtest grid``; the grid itself is ``vectorbt_sma.sma_grid``
(signals and fills on close, no overfitting statistics). Prints one JSON line: the in-process
seconds of the import, the data load and the grid (its first call in the process: numba compiles
vectorbt's kernels then, as it does for every user's first grid in a new process).
Run: .venv-peers/bin/python -m benchmarks.peers.vectorbt_grid_script [--quick]
(``--quick``: the last 500 days of 2 stocks).
"""

from __future__ import annotations

import argparse
import json
import time

began = time.perf_counter()

import vectorbt as vbt  # noqa: E402

from benchmarks.peers.vectorbt_sma import sma_grid  # noqa: E402
from benchmarks.peers.workloads import sp500_closes  # noqa: E402

imported = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    close = sp500_closes()
    if args.quick:
        close = close.iloc[-500:, :2]
    loaded = time.perf_counter()
    total_return = sma_grid(close)
    done = time.perf_counter()
    print(json.dumps({"workload": "vectorbt_grid_script", "peer": f"vectorbt {vbt.__version__}",
                      "backtests": int(total_return.shape[0]),
                      "import_s": round(imported - began, 3), "load_s": round(loaded - imported, 3),
                      "grid_s": round(done - loaded, 3), "best_total_return": float(total_return.max())}))


if __name__ == "__main__":
    main()
