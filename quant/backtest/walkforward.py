"""Walk-forward optimisation: per fold pick the best parameters in-sample, trade them
out-of-sample, stitch the out-of-sample equity. "Days" are bars of the panels.

Folds: in-sample ``[is_start, is_end)`` (rolling: a window of ``in_sample_days``; anchored: from
bar 0), out-of-sample ``[is_end, is_end + out_of_sample_days)``, advancing ``step_days``. Signals
see only bars before each window's end (history before a window is warm-up); fills and equity
count only the window's bars. Each OOS fold starts flat with the previous fold's closing equity
(an open position is marked at the close, not sold) and each symbol is its own backtest.

``overfitting=True`` adds an ``OverfittingReport`` of the same grid run once over all bars
(deflated Sharpe of its best set, CSCV PBO over every set's daily returns) and the deflated
Sharpe of the stitched out-of-sample returns against the same trials. Off by default (it costs
one more full-length grid, with return moments); the research service and CLI turn it on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from errors import ConfigError
from quant.backtest.config import BacktestConfig, StrictModel
from quant.backtest.crossover_signals import crossover_signal
from quant.backtest.engine import trades_frame
from quant.backtest.executors import executor_session
from quant.backtest.grid import (
    GridResult,
    ParamGrid,
    SignalFn,
    expand_grid,
    run_crossover_grid,
    run_grid,
    summed_returns,
)
from quant.backtest.panels import Panels, aligned_targets, panel_arrays
from quant.backtest.stability import ParameterStability, parameter_stability
from quant.backtest.vectorized import run_vectorized
from quant.metrics.overfitting import OverfittingReport, deflated_sharpe_ratio
from quant.metrics.performance import PerformanceMetrics, TradeArrays, compute_metrics

Progress = Callable[[int, int], None]


class WalkForwardConfig(StrictModel):
    """Window sizes in bars; ``objective`` is maximised (averaged over symbols) in-sample among
    parameter sets with at least ``min_trades_required`` trades (summed over symbols)."""

    in_sample_days: int = Field(252, ge=2)
    out_of_sample_days: int = Field(63, ge=1)
    step_days: int | None = Field(None, ge=1)
    window: Literal["rolling", "anchored"] = "rolling"
    objective: Literal["sharpe", "total_return", "calmar", "sortino"] = "sharpe"
    min_trades_required: int = Field(0, ge=0)

    @property
    def step(self) -> int:
        return self.step_days or self.out_of_sample_days


@dataclass(frozen=True)
class Fold:
    """Bar indices of one fold; OOS bars actually stitched are ``[oos_start, stitch_end)``."""

    number: int
    is_start: int
    is_end: int
    oos_start: int
    oos_end: int
    stitch_end: int


@dataclass(frozen=True)
class FoldResult:
    fold: Fold
    params: dict[str, Any]
    in_sample_score: float
    oos_metrics: dict[str, PerformanceMetrics]


@dataclass(frozen=True)
class WalkForwardResult:
    """Folds, stitched OOS equity ($, one column per symbol), OOS trades, aggregated OOS metrics per
    symbol, and how stable the chosen parameters were."""

    config: WalkForwardConfig
    backtest_config: BacktestConfig
    folds: tuple[FoldResult, ...]
    equity: pd.DataFrame
    trades: pd.DataFrame
    metrics: dict[str, PerformanceMetrics]
    parameter_stability: tuple[ParameterStability, ...]
    elapsed_s: float
    overfitting: OverfittingReport | None = None
    oos_deflated_sharpe: float | None = None

    def overfitting_dict(self) -> dict[str, Any] | None:
        """The overfitting block: the full-sample grid's report plus ``oos_deflated_sharpe``."""
        if self.overfitting is None:
            return None
        oos = self.oos_deflated_sharpe
        return {**self.overfitting.to_dict(), "basis": "every parameter set over all bars",
                "oos_deflated_sharpe": oos if oos is not None and np.isfinite(oos) else None}

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.model_dump(mode="json"),
            "backtest_config": self.backtest_config.model_dump(mode="json"),
            "folds": [{"number": f.fold.number, "in_sample": [f.fold.is_start, f.fold.is_end],
                       "out_of_sample": [f.fold.oos_start, f.fold.stitch_end], "params": f.params,
                       "in_sample_score": f.in_sample_score if np.isfinite(f.in_sample_score) else None,
                       "oos_metrics": {s: m.to_dict() for s, m in f.oos_metrics.items()}} for f in self.folds],
            "metrics": {s: m.to_dict() for s, m in self.metrics.items()},
            "parameter_stability": [p.to_dict() for p in self.parameter_stability],
            "oos_bars": len(self.equity),
            "trades": len(self.trades),
            "elapsed_s": self.elapsed_s,
            "overfitting_s": None if self.overfitting is None else self.overfitting.seconds,
            "overfitting": self.overfitting_dict(),
        }


def fold_bounds(n_bars: int, wf: WalkForwardConfig) -> list[Fold]:
    """The folds over ``n_bars`` bars (the last OOS window may be shorter); ConfigError if even one
    in-sample plus out-of-sample window does not fit."""
    need = wf.in_sample_days + wf.out_of_sample_days
    if need > n_bars:
        raise ConfigError(f"walk-forward window of {need} bars (in_sample_days + out_of_sample_days) is longer "
                          f"than the {n_bars} bars of data", details={"field": "in_sample_days", "bars": n_bars})
    folds, k = [], 0
    while (is_end := k * wf.step + wf.in_sample_days) < n_bars:
        is_start = 0 if wf.window == "anchored" else k * wf.step
        folds.append((k, is_start, is_end, min(is_end + wf.out_of_sample_days, n_bars)))
        k += 1
    return [Fold(number=k, is_start=a, is_end=b, oos_start=b, oos_end=c,
                 stitch_end=min(c, folds[i + 1][2]) if i + 1 < len(folds) else c)
            for i, (k, a, b, c) in enumerate(folds)]


def _choose(grid: GridResult, wf: WalkForwardConfig) -> tuple[dict[str, Any], float]:
    score = grid.objective(wf.objective, min_trades=wf.min_trades_required)
    best = int(np.argmax(score))  # first of equals: grid order breaks ties
    return dict(grid.params[best]), float(score[best])


def _walk(arrays_open: np.ndarray | None, close: np.ndarray, index: pd.DatetimeIndex, symbols: tuple[str, ...],
          folds: list[Fold], select: Callable[[Fold], tuple[dict[str, Any], float]],
          targets_for: Callable[[Fold, dict[str, Any]], np.ndarray], wf: WalkForwardConfig, config: BacktestConfig,
          progress: Progress | None, began: float,
          full_grid: Callable[[], GridResult] | None = None) -> WalkForwardResult:
    if config.capital_mode != "per_symbol":
        raise ConfigError("walk-forward runs per_symbol capital only", details={"field": "capital_mode"})
    cash = np.full(len(symbols), config.initial_capital)
    pieces, trade_frames, results = [], [], []
    for k, fold in enumerate(folds):
        params, score = select(fold)
        run = run_vectorized(arrays_open, close, targets_for(fold, params), config, start=fold.oos_start,
                             end=fold.stitch_end, initial_cash=cash)
        # a copy of the window: a view would keep the run's full-length buffers alive for every fold
        values = run.equity[fold.oos_start:fold.stitch_end, :, 0].copy()
        equity = pd.DataFrame(values, index=index[fold.oos_start:fold.stitch_end], columns=list(symbols))
        trades = trades_frame(run, index, symbols)
        # trades_frame lists each symbol's trades together, in symbol order: slice its columns once read
        arrays = TradeArrays.from_frame(trades)
        bounds = np.cumsum([0] + [len(run.trades.get((i, 0), ())) for i in range(len(symbols))])
        metrics = {s: compute_metrics(values[:, i], arrays.rows(bounds[i], bounds[i + 1]),
                                      periods_per_year=config.periods_per_year, initial_capital=float(cash[i]))
                   for i, s in enumerate(symbols)}
        cash = values[-1].copy()
        pieces.append(equity)
        trade_frames.append(trades.assign(fold=fold.number))
        results.append(FoldResult(fold=fold, params=params, in_sample_score=score, oos_metrics=metrics))
        if progress is not None:
            progress(k + 1, len(folds))
    equity = pd.concat(pieces)
    # all-empty frames would decide the dtypes otherwise (a pandas deprecation)
    trades = pd.concat([t for t in trade_frames if len(t)] or trade_frames[:1], ignore_index=True)
    metrics = {s: compute_metrics(equity[s], trades[trades.symbol == s], periods_per_year=config.periods_per_year,
                                  initial_capital=config.initial_capital) for s in symbols}
    report, oos_dsr = _overfitting(full_grid, equity, wf, config) if full_grid is not None else (None, None)
    return WalkForwardResult(config=wf, backtest_config=config, folds=tuple(results), equity=equity, trades=trades,
                             metrics=metrics, parameter_stability=parameter_stability([r.params for r in results]),
                             elapsed_s=time.perf_counter() - began, overfitting=report, oos_deflated_sharpe=oos_dsr)


def _overfitting(full_grid: Callable[[], GridResult], equity: pd.DataFrame, wf: WalkForwardConfig,
                 config: BacktestConfig) -> tuple[OverfittingReport | None, float | None]:
    """The full-sample grid's report and the stitched OOS deflated Sharpe; the report's ``seconds``
    count the whole step, the extra full-sample grid included (it runs for this block only)."""
    began = time.perf_counter()
    report = full_grid().overfitting(wf.objective, min_trades=wf.min_trades_required)
    if report is None:
        return None, None
    oos = summed_returns(equity.to_numpy()[:, :, None], np.full(equity.shape[1], config.initial_capital))[:, 0]
    oos_dsr = deflated_sharpe_ratio(oos, n_trials=report.n_trials, sharpe_variance=report.sharpe_variance) \
        if len(oos) >= 3 else None
    return (replace(report, seconds=time.perf_counter() - began),
            None if oos_dsr is None else oos_dsr.probability)


def walk_forward(signal_fn: SignalFn, panels: Panels, param_grid: ParamGrid, wf_config: WalkForwardConfig | None = None,
                 bt_config: BacktestConfig | None = None, *, progress: Progress | None = None,
                 executor: str = "local", overfitting: bool = False,
                 ray_address: str | None = None) -> WalkForwardResult:
    """Walk-forward of any ``signal_fn(panels, params) -> target fractions frame`` over ``param_grid``;
    every fold's grid runs on ``executor`` (one Ray cluster serves all folds)."""
    began = time.perf_counter()
    wf, config = wf_config or WalkForwardConfig(), bt_config or BacktestConfig()
    arrays = panel_arrays(panels)
    folds = fold_bounds(len(arrays.index), wf)
    if not expand_grid(param_grid):
        raise ConfigError("param_grid is empty", details={"field": "param_grid"})

    def upto(end: int) -> dict[str, pd.DataFrame]:
        return {f: frame.loc[arrays.index[:end]] for f, frame in panels.items()}

    def select(fold: Fold) -> tuple[dict[str, Any], float]:
        grid = run_grid(signal_fn, upto(fold.is_end), param_grid, config, executor, start=fold.is_start,
                        ray_address=ray_address)
        return _choose(grid, wf)

    def targets_for(fold: Fold, params: dict[str, Any]) -> np.ndarray:
        visible = upto(fold.stitch_end)
        targets = aligned_targets(signal_fn(visible, params), panel_arrays(visible))
        return np.vstack([targets, np.full((len(arrays.index) - fold.stitch_end, len(arrays.symbols)), np.nan)])

    def full_grid() -> GridResult:
        return run_grid(signal_fn, panels, param_grid, config, executor, return_moments=True, ray_address=ray_address)

    with executor_session(executor, ray_address):
        return _walk(arrays.open, arrays.close, arrays.index, arrays.symbols, folds, select, targets_for, wf, config,
                     progress, began, full_grid if overfitting else None)


def walk_forward_crossover(panels: Panels, fast_values: Sequence[int], slow_values: Sequence[int],
                           wf_config: WalkForwardConfig | None = None, bt_config: BacktestConfig | None = None, *,
                           kind: str = "sma", progress: Progress | None = None,
                           overfitting: bool = False) -> WalkForwardResult:
    """Fast walk-forward of the moving-average crossover: in-sample grids run in the fused kernel."""
    began = time.perf_counter()
    wf, config = wf_config or WalkForwardConfig(), bt_config or BacktestConfig()
    arrays = panel_arrays(panels)
    folds = fold_bounds(len(arrays.index), wf)
    close = pd.DataFrame(arrays.close, columns=list(arrays.symbols))

    def select(fold: Fold) -> tuple[dict[str, Any], float]:
        grid = run_crossover_grid(arrays.open, close, fast_values, slow_values, kind, config, start=fold.is_start,
                                  end=fold.is_end)
        if not grid.params:
            raise ConfigError("no valid (fast < slow) pair in the grid", details={"field": "slow_values"})
        return _choose(grid, wf)

    def targets_for(fold: Fold, params: dict[str, Any]) -> np.ndarray:
        out = np.empty_like(arrays.close)
        for i in range(out.shape[1]):
            crossover_signal(np.ascontiguousarray(arrays.close[:, i]), params["fast"], params["slow"], kind == "ema",
                             config.allow_short, out[:, i])
        return out

    def full_grid() -> GridResult:
        return run_crossover_grid(arrays.open, close, fast_values, slow_values, kind, config, return_moments=True)

    return _walk(arrays.open, arrays.close, arrays.index, arrays.symbols, folds, select, targets_for, wf, config,
                 progress, began, full_grid if overfitting else None)


class WalkForwardEngine:
    """The seed's ``WalkForwardEngine`` interface over ``walk_forward``: holds where the grids run."""

    def __init__(self, executor: str = "local", *, overfitting: bool = False, ray_address: str | None = None):
        self.executor = executor
        self.overfitting = overfitting
        self.ray_address = ray_address

    def run(self, signal_fn: SignalFn, panels: Panels, param_grid: ParamGrid,
            wf_config: WalkForwardConfig | None = None, backtest_config: BacktestConfig | None = None, *,
            progress: Progress | None = None) -> WalkForwardResult:
        return walk_forward(signal_fn, panels, param_grid, wf_config, backtest_config, progress=progress,
                            executor=self.executor, overfitting=self.overfitting, ray_address=self.ray_address)
