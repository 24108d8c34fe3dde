"""On-demand timing of the fast path against pandas-ta on 1,000,000 bars (not a test).

Run: ``.venv/bin/python -m tests.unit.indicators.benchmark_core``. Belongs in ``benchmarks/``
(another engineer's path); kept here until it moves. Reports the best of several runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from quant.indicators import core
from quant.indicators.catalog import import_pandas_ta


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def main(n: int = 1_000_000) -> None:
    rng = np.random.default_rng(1)
    c = 100 * np.exp(np.cumsum(rng.normal(0, 0.0005, n)))
    h = c * (1 + np.abs(rng.normal(0, 0.0003, n)))
    lo = c * (1 - np.abs(rng.normal(0, 0.0003, n)))
    ta = import_pandas_ta()
    s, hs, ls = pd.Series(c), pd.Series(h), pd.Series(lo)
    cases = {
        "RSI14": (lambda: core.rsi(c, 14), lambda: ta.rsi(s, 14, talib=False)),
        "MACD(12,26,9)": (lambda: core.macd(c), lambda: ta.macd(s, talib=False)),
        "BB(20,2)": (lambda: core.bollinger_bands(c, 20), lambda: ta.bbands(s, 20, ddof=0, talib=False)),
        "ATR14": (lambda: core.atr(h, lo, c, 14), lambda: ta.atr(hs, ls, s, 14, talib=False)),
        "EMA20": (lambda: core.ema(c, 20), lambda: ta.ema(s, 20, talib=False)),
    }
    total_ours = total_ta = 0.0
    for name, (ours, theirs) in cases.items():
        a, b = best_ms(ours, 7), best_ms(theirs, 3)
        total_ours, total_ta = total_ours + a, total_ta + b
        print(f"{name:14s} core {a:7.2f} ms   pandas-ta {b:8.1f} ms")
    print(f"{'total':14s} core {total_ours:7.2f} ms   pandas-ta {total_ta:8.1f} ms   ({n:,} bars)")


if __name__ == "__main__":
    main()
