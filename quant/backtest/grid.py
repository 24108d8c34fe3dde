"""Parameter grids: the fused crossover grid (``run_crossover_grid``) and a generic grid over any
``signal_fn(panels, params) -> positions frame`` (``run_grid``). Both return a ``GridResult``
holding ``GRID_STATS`` per (parameter set, symbol), each symbol an independent backtest.

With ``return_moments=True`` the result also holds ``ReturnMoments`` of each parameter set's daily
returns (of its equity summed over symbols): per-block sums of r, r², r³, r⁴, which
``GridResult.overfitting`` needs for the deflated Sharpe ratio and the CSCV probability of backtest
overfitting. The fused grid adds each run's equity into one row per parameter set as it goes and
folds those rows into the sums (``grid_moments``); no returns matrix is kept. Off by default (the
research service and the CLI turn it on)."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from errors import ConfigError, DataError
from quant.backtest.config import BacktestConfig
from quant.backtest.crossover_signals import window_sums
from quant.backtest.executors import executor_session, map_tasks, split_across_threads
from quant.backtest.grid_kernels import GRID_STATS, N_GRID_STATS, crossover_grid_tasks, summarize_equity
from quant.backtest.grid_moments import fold_summed_returns
from quant.backtest.panels import Panels, aligned_targets, panel_arrays
from quant.backtest.sizing import size_scale_rows
from quant.backtest.vectorized import checked_window, fill_reference, run_vectorized
from quant.metrics.overfitting import OverfittingReport, assess_overfitting_moments
from quant.metrics.return_moments import ReturnMoments, block_bounds, cscv_blocks

SignalFn = Callable[[Panels, dict[str, Any]], pd.DataFrame]
ParamGrid = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class GridResult:
    """``stats[p, s, k]``: summary ``GRID_STATS[k]`` of parameter set ``params[p]`` on ``symbols[s]``;
    ``moments`` (when asked for): ``ReturnMoments`` of each set's daily simple returns of its equity
    summed over symbols, over the traded window (the first bar against the summed initial capital),
    in ``cscv_blocks`` blocks (one when the window is too short for CSCV). ``elapsed_s``: seconds for
    the whole grid, of which ``moments_s`` folding returns into the moments."""

    params: tuple[dict[str, Any], ...]
    symbols: tuple[str, ...]
    stats: np.ndarray
    skipped: int = 0
    elapsed_s: float = 0.0
    moments: ReturnMoments | None = None
    moments_s: float = 0.0

    @property
    def n_backtests(self) -> int:
        return self.stats.shape[0] * self.stats.shape[1]

    def metric(self, name: str) -> pd.DataFrame:
        """(parameter set × symbol) frame of one stat."""
        values = self.stats[:, :, GRID_STATS.index(name)]
        return pd.DataFrame(values, index=pd.MultiIndex.from_frame(pd.DataFrame(list(self.params))) if self.params
                            else None, columns=list(self.symbols))

    def objective(self, name: str = "sharpe", *, min_trades: int = 0) -> np.ndarray:
        """Per parameter set: the stat averaged over symbols (NaN counts as -inf); sets with fewer
        than ``min_trades`` trades summed over symbols score -inf."""
        values = np.nan_to_num(self.stats[:, :, GRID_STATS.index(name)], nan=-np.inf, posinf=-np.inf).mean(axis=1)
        trades = self.stats[:, :, GRID_STATS.index("trades")].sum(axis=1)
        return np.where(trades >= min_trades, values, -np.inf)

    def best(self, objective: str = "sharpe", *, top: int = 5, min_trades: int = 0) -> list[dict[str, Any]]:
        """The ``top`` parameter sets by the symbol-averaged objective, best first (ties: first listed)."""
        score = self.objective(objective, min_trades=min_trades)
        order = np.argsort(-score, kind="stable")[:top]
        return [{"params": dict(self.params[p]), objective: float(score[p])} for p in order]

    def overfitting(self, objective: str = "sharpe", *, min_trades: int = 0) -> OverfittingReport | None:
        """Deflated Sharpe of the best set by ``objective`` (the first of ``best``) over
        ``n_trials`` = every parameter set in the grid, and CSCV PBO over ``moments``; None when the
        grid ran without ``return_moments`` or is empty. Its ``seconds``: ``moments_s`` plus this call."""
        if self.moments is None or not self.params:
            return None
        began = time.perf_counter()
        selected = int(np.argmax(self.objective(objective, min_trades=min_trades)))
        report = assess_overfitting_moments(self.moments, selected)
        return replace(report, seconds=self.moments_s + time.perf_counter() - began)

    def best_per_symbol(self, objective: str = "sharpe") -> dict[str, dict[str, Any]]:
        """For each symbol, the parameter set with the highest objective."""
        values = np.nan_to_num(self.stats[:, :, GRID_STATS.index(objective)], nan=-np.inf)
        return {s: dict(self.params[int(np.argmax(values[:, i]))]) for i, s in enumerate(self.symbols)}


def crossover_pairs(fast_values: Sequence[int], slow_values: Sequence[int]) -> tuple[np.ndarray, np.ndarray, int]:
    """Valid (fast, slow) pairs (slow > fast) in grid order, and how many pairs were skipped."""
    pairs = [(int(f), int(s)) for f in fast_values for s in slow_values]
    if any(f < 1 or s < 1 for f, s in pairs):
        raise ConfigError("moving-average windows must be >= 1 bar", details={"field": "fast_values/slow_values"})
    valid = [(f, s) for f, s in pairs if s > f]
    fast = np.array([p[0] for p in valid], dtype=np.int64)
    slow = np.array([p[1] for p in valid], dtype=np.int64)
    return fast, slow, len(pairs) - len(valid)


def summed_returns(equity: np.ndarray, cash0: np.ndarray) -> np.ndarray:
    """(bars, p) simple returns of ``equity`` (bars, symbols, p) summed over symbols; the first bar
    against the summed initial capital ``cash0`` (symbols,)."""
    total = equity.sum(axis=1)
    previous = np.vstack([np.full((1, total.shape[1]), float(np.sum(cash0))), total[:-1]])
    return total / previous - 1.0


def moment_blocks(n_rows: int) -> int:
    """Blocks of a grid's ``ReturnMoments`` over ``n_rows`` traded bars: CSCV's, or one when too short."""
    return cscv_blocks(n_rows) or 1


EQUITY_SUM_CELLS = 1 << 21  # (sets × bars) float64 cells of summed equity held at once: 16 MB


def run_crossover_grid(open_: np.ndarray | pd.DataFrame | None, close: np.ndarray | pd.DataFrame,
                       fast_values: Sequence[int], slow_values: Sequence[int], kind: str = "sma",
                       config: BacktestConfig | None = None, *, start: int = 0, end: int | None = None,
                       initial_cash: np.ndarray | None = None, return_moments: bool = False,
                       max_equity_cells: int = EQUITY_SUM_CELLS) -> GridResult:
    """Moving-average crossover over every valid (fast, slow) pair × symbol in one fused kernel.

    Long (1) when MA_fast > MA_slow, short (-1) below when ``config.allow_short``, flat otherwise;
    ``kind`` is ``"sma"`` (NaN until ``window`` valid closes) or ``"ema"`` (``span``, seeded at the
    first close). Bars ``[start, end)`` are traded; earlier bars only warm the averages up.
    ``return_moments`` adds the ``ReturnMoments`` of each pair's daily returns: every run also adds
    its equity into its pair's row of a (pairs × bars) sum, in chunks of at most ``max_equity_cells``
    cells (at least one pair), folded into the moments after each chunk.
    """
    if kind not in ("sma", "ema"):
        raise ConfigError(f"kind must be 'sma' or 'ema', got {kind!r}", details={"field": "kind"})
    config = config or BacktestConfig()
    symbols = tuple(str(c) for c in close.columns) if isinstance(close, pd.DataFrame) else ()
    close_a = np.asarray(close, dtype=np.float64)
    open_a = None if open_ is None else np.asarray(open_, dtype=np.float64)
    symbols = symbols or tuple(str(i) for i in range(close_a.shape[1]))
    start, end = checked_window(start, end, close_a.shape[0])
    if open_a is not None and open_a.shape != close_a.shape:
        raise DataError(f"opens {open_a.shape} must match closes {close_a.shape}", details={"field": "open"})
    fast, slow, skipped = crossover_pairs(fast_values, slow_values)
    began = time.perf_counter()
    ref, _ = fill_reference(open_a, close_a, config)
    n_sym = close_a.shape[1]
    cash0 = np.full(n_sym, config.initial_capital) if initial_cash is None else np.asarray(initial_cash, float)
    out = np.empty((len(fast), n_sym, N_GRID_STATS))
    moments = ReturnMoments.empty(end - start, moment_blocks(end - start), len(fast)) if return_moments else None
    moments_s = 0.0
    if len(fast):
        # symbol-major rows; a pandas frame's values are usually already stored that way (no copy)
        close_t = np.ascontiguousarray(close_a.T)
        ref_t = close_t if ref is close_a else np.ascontiguousarray(ref.T)
        # constant sizing rules pass one value per symbol instead of one per bar
        scale_t = size_scale_rows(close_t if config.sizing == "volatility_target" else close_t[:, :1], config)
        csum = np.empty((n_sym, close_t.shape[1] + 1))
        last_nan = np.empty(close_t.shape, dtype=np.int64)
        split_across_threads(lambda lo, hi: window_sums(close_t, lo, hi, csum, last_nan), n_sym)
        costs = (config.slippage_bps, config.commission_per_order, config.commission_bps, config.commission_per_share,
                 config.allow_short,
                 float(config.periods_per_year))

        def run_pairs(p0: int, p1: int, equity_sums: np.ndarray, by_pair: bool) -> None:
            args = (ref_t, close_t, csum, last_nan, scale_t, fast[p0:p1], slow[p0:p1], kind == "ema", start, end,
                    cash0, *costs, out[p0:p1], equity_sums)
            if by_pair:  # a pair's equity row is written by one thread only
                split_across_threads(lambda lo, hi: crossover_grid_tasks(lo * n_sym, hi * n_sym, *args), p1 - p0)
            else:
                split_across_threads(lambda lo, hi: crossover_grid_tasks(lo, hi, *args), (p1 - p0) * n_sym)

        if moments is None:
            run_pairs(0, len(fast), np.empty((0, 0)), False)
        else:
            bounds, base = block_bounds(end - start, moments.n_blocks), float(np.sum(cash0))
            chunk = max(1, max_equity_cells // max(end - start, 1))
            for p0 in range(0, len(fast), chunk):
                p1 = min(p0 + chunk, len(fast))
                equity_sums = np.zeros((p1 - p0, end - start))
                run_pairs(p0, p1, equity_sums, True)
                folding = time.perf_counter()
                sums = np.zeros((moments.power_sums.shape[0], moments.n_blocks, p1 - p0))
                fold_summed_returns(equity_sums, base, bounds, sums)
                moments.power_sums[:, :, p0:p1] = sums
                moments_s += time.perf_counter() - folding
    params = tuple({"fast": int(f), "slow": int(s)} for f, s in zip(fast, slow, strict=True))
    return GridResult(params=params, symbols=symbols, stats=out, skipped=skipped,
                      elapsed_s=time.perf_counter() - began, moments=moments, moments_s=moments_s)


def expand_grid(param_grid: ParamGrid) -> tuple[dict[str, Any], ...]:
    """A mapping of name -> values becomes its cartesian product; a list of dicts is kept as is."""
    if isinstance(param_grid, Mapping):
        names = list(param_grid)
        return tuple(dict(zip(names, combo, strict=True)) for combo in itertools.product(*param_grid.values()))
    return tuple(dict(p) for p in param_grid)


SetResult = tuple[np.ndarray, ReturnMoments | None, float]


def grid_stats_for(signal_fn: SignalFn, panels: Panels, config: BacktestConfig, start: int, end: int | None,
                   initial_cash: np.ndarray | None, params: dict[str, Any], return_moments: bool = False) -> SetResult:
    """``GRID_STATS`` (n_symbols, N_GRID_STATS) of one parameter set run by the vectorized engine,
    and (``return_moments``) the ``ReturnMoments`` of its daily ``summed_returns`` over the traded
    window with the seconds spent on them."""
    arrays = panel_arrays(panels)
    targets = aligned_targets(signal_fn(panels, params), arrays)
    run = run_vectorized(arrays.open, arrays.close, targets, config, start=start, end=end,
                         initial_cash=initial_cash, record_trades=False)
    out = np.empty((len(arrays.symbols), N_GRID_STATS))
    cash0 = np.full(len(arrays.symbols), config.initial_capital) if initial_cash is None \
        else np.asarray(initial_cash, float)
    for i in range(len(arrays.symbols)):
        s = run.stats[i, 0]
        summarize_equity(run.equity[:, i, 0], run.start, run.end, float(cash0[i]), s[0], s[1], s[3], s[2],
                         float(config.periods_per_year), out[i])
    if not return_moments:
        return out, None, 0.0
    began = time.perf_counter()
    returns = summed_returns(run.equity[run.start:run.end], cash0)
    moments = ReturnMoments.from_returns(returns, moment_blocks(len(returns)))
    return out, moments, time.perf_counter() - began


GridShared = tuple[SignalFn, Panels, BacktestConfig, int, int | None, np.ndarray | None, bool]


def _stats_chunk(shared: GridShared, params: list[dict[str, Any]]) -> list[SetResult]:
    signal_fn, panels, config, start, end, cash, return_moments = shared
    return [grid_stats_for(signal_fn, panels, config, start, end, cash, p, return_moments) for p in params]


def run_grid(signal_fn: SignalFn, panels: Panels, param_grid: ParamGrid, config: BacktestConfig | None = None,
             executor: str = "local", *, start: int = 0, end: int | None = None,
             initial_cash: np.ndarray | None = None, max_workers: int | None = None, return_moments: bool = False,
             ray_address: str | None = None) -> GridResult:
    """Any strategy over a parameter grid: ``signal_fn(panels, params)`` returns target fractions
    (index = ts, columns = symbols). ``executor`` is ``local``, ``process`` or ``ray`` (the
    signal function must then be picklable, i.e. defined at module level); the panels go to each
    worker once. ``max_workers`` (default: the CPU count, 2 for ``process``) sets how many chunks the
    grid is cut into; ``ray_address`` names a Ray cluster (default: a local one, see executors).
    ``return_moments``: each worker sends back its sets' ``ReturnMoments``, not their returns."""
    config = config or BacktestConfig()
    params = expand_grid(param_grid)
    began = time.perf_counter()
    default_workers = {"local": 1, "process": 2}.get(executor, os.cpu_count() or 1)
    workers = 1 if executor == "local" else max(max_workers or default_workers, 1)
    workers = min(workers, max(len(params), 1))
    chunks = [list(params[k::workers]) for k in range(workers)]
    shared: GridShared = (signal_fn, panels, config, start, end, initial_cash, return_moments)
    with executor_session(executor, ray_address):
        results = map_tasks(_stats_chunk, chunks, executor, max_workers=max_workers, shared=shared,
                            ray_address=ray_address)
    by_param: list[SetResult] = [(np.empty(0), None, 0.0)] * len(params)
    for k, chunk_result in enumerate(results):
        for m, item in enumerate(chunk_result):
            by_param[k + m * workers] = item
    symbols = panel_arrays(panels).symbols
    stats = np.stack([b[0] for b in by_param]) if params else np.empty((0, len(symbols), N_GRID_STATS))
    moments = ReturnMoments.concat([b[1] for b in by_param]) if return_moments and params else None
    return GridResult(params=params, symbols=symbols, stats=stats, elapsed_s=time.perf_counter() - began,
                      moments=moments, moments_s=sum(b[2] for b in by_param))


__all__ = ["GRID_STATS", "GridResult", "crossover_pairs", "expand_grid", "moment_blocks", "run_crossover_grid",
           "run_grid", "summed_returns"]
