"""vectorbt: SMA 10/50 crossover on the 20 bundled stocks, and the 174-pair × 20-stock grid.

Signals and fills on close (vectorbt's from_signals executes at the close; no open needed).
Run: .venv-peers/bin/python -m benchmarks.peers.vectorbt_sma [--quick]
(``--quick``: the last 500 days, 2 stocks, 1 repeat.)
"""

from __future__ import annotations

import argparse

import vectorbt as vbt

from benchmarks.peers.workloads import emit, median_seconds, sp500_closes

FAST_WINDOWS = range(5, 51, 5)
SLOW_WINDOWS = range(20, 201, 10)
PAIRS = [(f, s) for f in FAST_WINDOWS for s in SLOW_WINDOWS if f < s]


def sma_crossover(close, fast: int = 10, slow: int = 50):
    fast_ma = vbt.MA.run(close, fast, short_name="fast")
    slow_ma = vbt.MA.run(close, slow, short_name="slow")
    portfolio = vbt.Portfolio.from_signals(
        close, fast_ma.ma_crossed_above(slow_ma), fast_ma.ma_crossed_below(slow_ma), init_cash=100_000, freq="1D"
    )
    return portfolio.total_return()


def sma_grid(close):
    fast_ma = vbt.MA.run(close, [f for f, _ in PAIRS], short_name="fast")
    slow_ma = vbt.MA.run(close, [s for _, s in PAIRS], short_name="slow")
    portfolio = vbt.Portfolio.from_signals(
        close, fast_ma.ma_crossed_above(slow_ma), fast_ma.ma_crossed_below(slow_ma), init_cash=100_000, freq="1D"
    )
    return portfolio.total_return()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    close = sp500_closes()
    if args.quick:
        close = close.iloc[-500:, :2]
    sma_repeats, grid_repeats = (1, 1) if args.quick else (7, 3)
    returns = sma_crossover(close)
    assert returns.shape == (close.shape[1],)
    emit("sma_10_50_crossover_20_stocks", f"vectorbt {vbt.__version__}",
         median_seconds(lambda: sma_crossover(close), repeats=sma_repeats), bars=int(close.size),
         symbols=int(close.shape[1]), repeats=sma_repeats, fills="same close")  # fmt: skip
    assert len(PAIRS) == 174
    grid = sma_grid(close)
    assert grid.shape == (174 * close.shape[1],)
    emit("sma_grid_174_pairs_x_20_stocks", f"vectorbt {vbt.__version__}",
         median_seconds(lambda: sma_grid(close), repeats=grid_repeats), backtests=int(grid.shape[0]),
         repeats=grid_repeats)  # fmt: skip


if __name__ == "__main__":
    main()
