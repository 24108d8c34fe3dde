"""backtrader: SMA 10/50 crossover on the 20 bundled stocks, and its event loop on synthetic bars.

The bundled stocks are closes only, so close is used as open, high and low (backtrader needs
OHLC); market orders fill at the next bar's "open", i.e. the next close. The synthetic workload
runs ``SYNTHETIC_BARS`` (default 200,000) real OHLC bars and also reports the time scaled
linearly to 1,000,000 bars (backtrader's loop is linear in bars; a full 1M run takes minutes).
Run: .venv-peers/bin/python -m benchmarks.peers.backtrader_sma [n_synthetic_bars] [--quick]
(``--quick``: 2 stocks' last 500 days and 5,000 synthetic bars, 1 repeat.)
"""

from __future__ import annotations

import argparse

import backtrader as bt
import pandas as pd

from benchmarks.peers.workloads import emit, median_seconds, sp500_closes, synthetic_bars

SYNTHETIC_BARS = 200_000
TARGET_BARS = 1_000_000


class SmaCross(bt.Strategy):
    params = (("fast", 10), ("slow", 50))

    def __init__(self):
        fast, slow = bt.indicators.SMA(period=self.p.fast), bt.indicators.SMA(period=self.p.slow)
        self.cross = bt.indicators.CrossOver(fast, slow)

    def next(self):
        if not self.position and self.cross > 0:
            self.buy(size=int(self.broker.getcash() * 0.99 / self.data.close[0]))
        elif self.position and self.cross < 0:
            self.close()


def run_one(frame: pd.DataFrame) -> float:
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(bt.feeds.PandasData(dataname=frame))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(100_000.0)
    cerebro.run(runonce=True, preload=True)
    return cerebro.broker.getvalue()


def stock_frames(quick: bool = False) -> list[pd.DataFrame]:
    closes = sp500_closes()
    if quick:
        closes = closes.iloc[-500:, :2]
    frames = []
    for symbol in closes.columns:
        c = closes[symbol]
        frames.append(pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": 0.0}))
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_synthetic_bars", nargs="?", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_synthetic = args.n_synthetic_bars or (5_000 if args.quick else SYNTHETIC_BARS)
    repeats = 1 if args.quick else 3
    frames = stock_frames(args.quick)
    values: list[float] = []

    def run_stocks() -> None:
        values[:] = [run_one(f) for f in frames]

    # no untimed warm-up: backtrader compiles nothing, and one run takes ~50 s on a loaded machine
    timing = median_seconds(run_stocks, repeats=repeats, warmup=False)
    assert len(values) == len(frames) and all(v > 0 for v in values)
    emit("sma_10_50_crossover_20_stocks", f"backtrader {bt.__version__}", timing,
         bars=int(sum(len(f) for f in frames)), symbols=len(frames), repeats=repeats,
         fills="next bar's open (= next close)", note="close used as open/high/low")  # fmt: skip
    bars = synthetic_bars(n_synthetic, seed=1)
    timing = median_seconds(lambda: run_one(bars), repeats=repeats, warmup=False)
    scale = TARGET_BARS / n_synthetic
    emit("event_loop_sma_crossover_synthetic_bars", f"backtrader {bt.__version__}", timing, bars=n_synthetic,
         seconds_scaled_to_1m_bars=round(timing[0] * scale, 3), bars_per_s=round(n_synthetic / timing[0]),
         cpu_seconds_scaled_to_1m_bars=round(timing[1] * scale, 3), repeats=repeats)  # fmt: skip


if __name__ == "__main__":
    main()
