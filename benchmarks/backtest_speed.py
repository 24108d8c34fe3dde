"""Backtest speed: our engines on the workloads the peer benchmarks run (same JSON lines).

Workloads (goals in brackets, measured on the shared 2-core machine):
- SMA 10/50 crossover, 20 stocks × 8,313 bars, costs, next-open fills [<= 2 ms]: the fused kernel
  and the vectorized engine (targets precomputed); also on the bundled closes (next-close fills).
- the 174-pair grid × 20 stocks = 3,480 backtests [>= 30,000 backtests/s, < 300 MB peak]; and the same
  grid with its deflated Sharpe and PBO (what ``backtest grid`` computes by default).
- the event engine on 1,000,000 synthetic bars [>= 5M bars/s] (compiled path; the on_bar hook
  path is timed on 100,000 bars and scaled).
- walk-forward: 10 folds × 174 pairs × 20 stocks [< 2 s].
Run: `.venv/bin/python benchmarks/backtest_speed.py [--repeats 7] [--workload grid] [--quick]`.
``benchmarks/run_all.py`` runs each workload in its own process (so each peak RSS is its own).
``--quick``: small inputs, 1 repeat (a smoke run; its figures mean nothing). Every timing
function is importable; each returns a summary dict and prints JSON lines.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peers.workloads import emit, median_seconds, peak_rss_mb, sp500_closes, synthetic_bars  # noqa: E402
from quant.backtest.config import BacktestConfig  # noqa: E402
from quant.backtest.event import EventBars, TargetPositionStrategy, run_event  # noqa: E402
from quant.backtest.grid import run_crossover_grid  # noqa: E402
from quant.backtest.vectorized import run_vectorized  # noqa: E402
from quant.backtest.walkforward import WalkForwardConfig, walk_forward_crossover  # noqa: E402

FAST = range(5, 51, 5)
SLOW = range(20, 201, 10)
OURS = "quantpilot"


def gbm_ohlc(n_bars: int = 8313, n_symbols: int = 20, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Seeded GBM open/close panels shaped like the bundled S&P 500 set."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.018, (n_bars, n_symbols)), axis=0))
    open_ = np.vstack([np.full((1, n_symbols), 100.0), close[:-1]]) * np.exp(rng.normal(0, 0.004, (n_bars, n_symbols)))
    index = pd.date_range("1990-01-02", periods=n_bars, freq="B", tz="UTC")
    columns = [f"S{i:02d}" for i in range(n_symbols)]
    # stored symbol-major, as ``quant.data.schema.field_panel`` (a pivot) stores its frames
    return {"open": pd.DataFrame(np.ascontiguousarray(open_.T).T, index, columns),
            "close": pd.DataFrame(np.ascontiguousarray(close.T).T, index, columns)}


def _sma_targets(close: pd.DataFrame, fast: int = 10, slow: int = 50) -> np.ndarray:
    return (close.rolling(fast).mean() > close.rolling(slow).mean()).astype(float).to_numpy()


def time_sma_crossover(panels: dict[str, pd.DataFrame], repeats: int = 7, label: str = "synthetic") -> dict:
    """SMA 10/50 on every symbol: the fused kernel, and the vectorized engine on precomputed targets."""
    config = BacktestConfig()
    open_ = panels.get("open")
    close = panels["close"]
    bars = int(close.size)
    fused = median_seconds(lambda: run_crossover_grid(open_, close, [10], [50], config=config), repeats)
    emit("sma_10_50_crossover_20_stocks", f"{OURS} fused kernel", fused, bars=bars, data=label, repeats=repeats)
    targets = _sma_targets(close)
    o = None if open_ is None else open_.to_numpy()
    c = close.to_numpy()
    engine = median_seconds(lambda: run_vectorized(o, c, targets, config), repeats)
    emit("sma_10_50_crossover_20_stocks", f"{OURS} vectorized engine (targets given)", engine, bars=bars, data=label,
         repeats=repeats)
    return {"fused_s": fused[0], "engine_s": engine[0]}


def time_grid(panels: dict[str, pd.DataFrame], repeats: int = 3) -> dict:
    """The 174-pair × 20-stock grid: backtests per second and peak memory."""
    config = BacktestConfig()
    open_, close = panels.get("open"), panels["close"]
    rss_before_mb = peak_rss_mb()
    run_crossover_grid(open_, close, FAST, SLOW, config=config)  # warm-up (compilation)
    tracemalloc.start()
    grid = run_crossover_grid(open_, close, FAST, SLOW, config=config)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    timing = median_seconds(lambda: run_crossover_grid(open_, close, FAST, SLOW, config=config), repeats, warmup=False)
    rate = grid.n_backtests / timing[0]
    emit("sma_grid_174_pairs_x_20_stocks", f"{OURS} fused grid", timing, backtests=grid.n_backtests,
         skipped_pairs=grid.skipped, backtests_per_s=round(rate), traced_peak_mb=round(traced_peak / 2**20, 1),
         peak_rss_before_grid_mb=round(rss_before_mb, 1), repeats=repeats)
    # what `backtest grid` computes by default: the grid with return moments, then its overfitting report
    def with_overfitting():
        grid_m = run_crossover_grid(open_, close, FAST, SLOW, config=config, return_moments=True)
        return grid_m, grid_m.overfitting()

    with_overfitting()  # warm-up (compilation)
    full = median_seconds(with_overfitting, repeats, warmup=False)
    report = with_overfitting()[1]
    emit("sma_grid_174_pairs_x_20_stocks_with_overfitting", f"{OURS} fused grid + deflated Sharpe + PBO", full,
         backtests=grid.n_backtests, overfitting_s=round(report.seconds, 6), n_splits=report.n_splits,
         repeats=repeats)
    return {"backtests": grid.n_backtests, "backtests_per_s": rate, "traced_peak_mb": traced_peak / 2**20,
            "peak_rss_mb": peak_rss_mb(), "peak_rss_before_mb": rss_before_mb}


def time_event_engine(n_bars: int = 1_000_000, hook_bars: int = 100_000, repeats: int = 3) -> dict:
    """SMA 10/50 target strategy through the event engine on synthetic minute bars."""
    frame = synthetic_bars(n_bars, seed=1)
    bars = EventBars(*(frame[c].to_numpy() for c in ("open", "high", "low", "close")))
    strategy = TargetPositionStrategy(_sma_targets(frame[["close"]])[:, 0])
    config = BacktestConfig()
    compiled = median_seconds(lambda: run_event(strategy, bars, config), repeats)
    emit("event_loop_sma_crossover_synthetic_bars", f"{OURS} event engine (compiled)", compiled, bars=n_bars,
         bars_per_s=round(n_bars / compiled[0]), repeats=repeats)
    small = EventBars(*(np.ascontiguousarray(x[:hook_bars]) for x in (bars.open, bars.high, bars.low, bars.close)))
    hook_strategy = TargetPositionStrategy(strategy.targets[:hook_bars])
    hook = median_seconds(lambda: run_event(hook_strategy, small, config, compiled=False), 1)
    scale = n_bars / hook_bars
    emit("event_loop_sma_crossover_synthetic_bars", f"{OURS} event engine (on_bar hook)", hook, bars=hook_bars,
         seconds_scaled_to_1m_bars=round(hook[0] * scale, 3), bars_per_s=round(hook_bars / hook[0]), repeats=1)
    return {"compiled_bars_per_s": n_bars / compiled[0], "hook_bars_per_s": hook_bars / hook[0]}


def time_walk_forward(panels: dict[str, pd.DataFrame], repeats: int = 3) -> dict:
    """Fused walk-forward: 10 folds (252 in-sample, 63 out-of-sample bars) × 174 pairs × 20 stocks."""
    wf = WalkForwardConfig()
    n = wf.in_sample_days + 10 * wf.out_of_sample_days
    window = {k: v.iloc[-n:] for k, v in panels.items()}
    result = walk_forward_crossover(window, FAST, SLOW, wf)
    assert len(result.folds) == 10
    timing = median_seconds(lambda: walk_forward_crossover(window, FAST, SLOW, wf), repeats)
    emit("walk_forward_10_folds_174_pairs_x_20_stocks", f"{OURS} walk_forward_crossover", timing, folds=10,
         bars=n, repeats=repeats)
    return {"seconds": timing[0]}


WORKLOADS = ("grid", "sma", "sma_bundled_closes", "event", "walk_forward")


def run_workload(name: str, repeats: int, quick: bool) -> dict:
    """One workload by name; ``quick`` shrinks the inputs (2 symbols × 400 bars, 20,000 event bars)."""
    synthetic = gbm_ohlc(400, 2) if quick else gbm_ohlc()
    if name == "grid":
        return time_grid(synthetic, repeats)
    if name == "sma":
        return time_sma_crossover(synthetic, repeats)
    if name == "sma_bundled_closes":
        closes = sp500_closes()
        return time_sma_crossover({"close": closes.iloc[-400:, :2] if quick else closes}, repeats, "sp500 closes")
    if name == "event":
        return time_event_engine(20_000, 2_000, repeats) if quick else time_event_engine(repeats=repeats)
    if name == "walk_forward":
        return time_walk_forward(gbm_ohlc(252 + 10 * 63, 2) if quick else synthetic, repeats)
    raise SystemExit(f"unknown workload {name!r}; one of {', '.join(WORKLOADS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--workload", choices=WORKLOADS, action="append",
                        help="run only this workload (repeatable); default: all, the grid first")
    parser.add_argument("--quick", action="store_true", help="small inputs, 1 repeat")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    began = time.perf_counter()
    # the grid first: the process's peak RSS then shows the grid, not the 1M-bar event data
    for name in args.workload or WORKLOADS:
        run_workload(name, repeats if name.startswith("sma") else min(repeats, 3), args.quick)
    print(f"total benchmark time {time.perf_counter() - began:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
