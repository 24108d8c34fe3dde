"""TA-Lib and pandas-ta: RSI14, MACD(12,26,9), BB(20,2), ATR14, EMA20 on 1,000,000 synthetic bars.

One JSON line per indicator per peer and one for all five together (median of 5 runs).
Run: .venv-peers/bin/python -m benchmarks.peers.indicators [n_bars]
"""

from __future__ import annotations

import sys
import warnings

import pandas_ta as ta
import talib

from benchmarks.peers.workloads import emit, median_seconds, synthetic_bars

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


def main() -> None:
    warnings.simplefilter("ignore")
    n_bars = int(sys.argv[1]) if len(sys.argv) > 1 else N_BARS
    bars = synthetic_bars(n_bars, seed=2)
    suites = ((f"ta-lib {talib.__version__}", talib_suite(bars)), (f"pandas-ta {ta.version}", pandas_ta_suite(bars)))
    for peer, suite in suites:
        total_wall, total_cpu = 0.0, 0.0
        for name, run in suite.items():
            timing = median_seconds(run, repeats=REPEATS)
            total_wall, total_cpu = total_wall + timing[0], total_cpu + timing[1]
            emit(f"indicator_{name}_{n_bars}_bars", peer, timing, bars=n_bars, repeats=REPEATS)
        emit(f"indicators_all_five_{n_bars}_bars", peer, (total_wall, total_cpu), bars=n_bars, repeats=REPEATS,
             note="sum of the five per-indicator medians")  # fmt: skip


if __name__ == "__main__":
    main()
