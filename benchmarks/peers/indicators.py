"""TA-Lib and pandas-ta: RSI14, MACD(12,26,9), BB(20,2), ATR14, EMA20 on 1,000,000 synthetic bars.

One JSON line per indicator per peer and one for all five together (median of 5 runs). TA-Lib's
values are saved to ``bench-results/talib_reference_<n>_bars.npz`` so ``benchmarks/indicators.py``
(quantpilot's venv, where TA-Lib is not installed) can check that its values are equal.
Run: .venv-peers/bin/python -m benchmarks.peers.indicators [n_bars] [--quick]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas_ta as ta
import talib

from benchmarks.peers.workloads import (
    INDICATOR_QUICK_BARS,
    INDICATOR_SEED,
    emit,
    median_seconds,
    synthetic_bars,
    talib_reference_path,
)

N_BARS = 1_000_000
REPEATS = 5


def talib_suite(bars):
    h, lo, c = bars["high"].to_numpy(), bars["low"].to_numpy(), bars["close"].to_numpy()
    return {
        "rsi14": lambda: talib.RSI(c, timeperiod=14),
        "macd_12_26_9": lambda: talib.MACD(c, fastperiod=12, slowperiod=26, signalperiod=9),
        "bbands_20_2": lambda: talib.BBANDS(c, timeperiod=20, nbdevup=2.0, nbdevdn=2.0),
        "atr14": lambda: talib.ATR(h, lo, c, timeperiod=14),
        "ema20": lambda: talib.EMA(c, timeperiod=20),
    }


def pandas_ta_suite(bars):
    h, lo, c = bars["high"], bars["low"], bars["close"]
    # talib=False: pandas-ta would otherwise delegate to TA-Lib when it is installed
    return {
        "rsi14": lambda: ta.rsi(c, length=14, talib=False),
        "macd_12_26_9": lambda: ta.macd(c, fast=12, slow=26, signal=9, talib=False),
        "bbands_20_2": lambda: ta.bbands(c, length=20, std=2.0, talib=False),
        "atr14": lambda: ta.atr(h, lo, c, length=14, talib=False),
        "ema20": lambda: ta.ema(c, length=20, talib=False),
    }


def save_talib_reference(bars, path: Path) -> None:
    """TA-Lib's outputs as named float64 arrays (macd/signal/hist, upper/middle/lower)."""
    suite = talib_suite(bars)
    macd, signal, hist = suite["macd_12_26_9"]()
    upper, middle, lower = suite["bbands_20_2"]()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, rsi14=suite["rsi14"](), macd=macd, macd_signal=signal, macd_hist=hist, bb_upper=upper,
             bb_middle=middle, bb_lower=lower, atr14=suite["atr14"](), ema20=suite["ema20"]())


def main() -> None:
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_bars", nargs="?", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help=f"{INDICATOR_QUICK_BARS:,} bars, 1 repeat")
    args = parser.parse_args()
    n_bars = args.n_bars or (INDICATOR_QUICK_BARS if args.quick else N_BARS)
    repeats = 1 if args.quick else REPEATS
    bars = synthetic_bars(n_bars, seed=INDICATOR_SEED)
    save_talib_reference(bars, talib_reference_path(n_bars))
    suites = ((f"ta-lib {talib.__version__}", talib_suite(bars)), (f"pandas-ta {ta.version}", pandas_ta_suite(bars)))
    for peer, suite in suites:
        total_wall, total_cpu = 0.0, 0.0
        for name, run in suite.items():
            timing = median_seconds(run, repeats=repeats)
            total_wall, total_cpu = total_wall + timing[0], total_cpu + timing[1]
            emit(f"indicator_{name}", peer, timing, bars=n_bars, repeats=repeats)
        emit("indicators_all_five", peer, (total_wall, total_cpu), bars=n_bars, repeats=repeats,
             note="sum of the five per-indicator medians")  # fmt: skip


if __name__ == "__main__":
    main()
