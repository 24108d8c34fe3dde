"""Shared inputs and measurement for the peer benchmarks (run in .venv-peers, not quantpilot's venv).

Inputs: the 20 bundled S&P 500 stocks (skfolio ``load_sp500_dataset``, closes only, 8,313
daily rows 1990-2022) and seeded synthetic OHLCV bars. Timing: the median wall-clock and CPU
seconds of ``repeats`` runs after one untimed warm-up (so numba compilation is excluded). Memory: the
process's peak resident set size in MB (``ru_maxrss``; includes the interpreter and imports).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parents[2] / "bench-results"
INDICATOR_SEED = 2  # synthetic_bars seed of the indicator workload (ours and the peers')
INDICATOR_QUICK_BARS = 20_000


def talib_reference_path(n_bars: int) -> Path:
    """Where TA-Lib's indicator values for ``synthetic_bars(n_bars, seed=INDICATOR_SEED)`` are stored."""
    return RESULTS / f"talib_reference_{n_bars}_bars.npz"


def sp500_closes() -> pd.DataFrame:
    """Wide closes of the 20 bundled stocks: index = dates, columns = symbols."""
    from skfolio.datasets import load_sp500_dataset

    return load_sp500_dataset()


def synthetic_bars(n_bars: int, seed: int = 0) -> pd.DataFrame:
    """Geometric random walk OHLCV bars (open/high/low/close consistent), minute-stamped index."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, n_bars)))
    open_ = np.concatenate([[100.0], close[:-1]])
    spread = np.abs(rng.normal(0.0, 0.0005, n_bars)) * close
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    volume = rng.integers(100, 10_000, n_bars).astype("float64")
    index = pd.date_range("2000-01-03", periods=n_bars, freq="min")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def median_seconds(run: Callable[[], object], repeats: int, warmup: bool = True) -> tuple[float, float]:
    """(median wall-clock seconds, median CPU seconds of this process) over ``repeats`` runs.

    CPU time is reported beside wall time because the benchmark machine is shared: under load
    wall time grows while CPU time stays close to what an idle machine would show.
    """
    if warmup:
        run()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def emit(workload: str, peer: str, timing: tuple[float, float], **extra) -> None:
    """Print one JSON line {workload, peer, seconds, cpu_seconds, peak_mb, load_avg_1m, ...extra}."""
    seconds, cpu_seconds = timing
    record = {"workload": workload, "peer": peer, "seconds": round(seconds, 6), "cpu_seconds": round(cpu_seconds, 6),
              "peak_mb": round(peak_rss_mb(), 1),
              "load_avg_1m": round(os.getloadavg()[0], 2)}
    record.update(extra)
    print(json.dumps(record), flush=True)
    sys.stdout.flush()
