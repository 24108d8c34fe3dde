"""Parameter grids: the fused crossover grid (``run_crossover_grid``) and a generic grid over any
``signal_fn(panels, params) -> positions frame`` (``run_grid``). Both return a ``GridResult``
holding ``GRID_STATS`` per (parameter set, symbol), each symbol an independent backtest.

With ``with_returns=True`` the result also holds each parameter set's daily returns (the summed
per-symbol equity), which ``GridResult.overfitting`` needs for the deflated Sharpe ratio and the
CSCV probability of backtest overfitting. It is off by default because the fused grid never
materialises equity: the returns cost one extra vectorized run per parameter set (the research
service and the CLI turn it on)."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from errors import ConfigError, DataError
from quant.backtest.config import BacktestConfig
from quant.backtest.executors import executor_session, map_tasks, split_across_threads
from quant.backtest.grid_kernels import (
    GRID_STATS,
    N_GRID_STATS,
    crossover_grid_tasks,
    crossover_signal,
    summarize_equity,
    window_sums,
)
from quant.backtest.panels import Panels, aligned_targets, panel_arrays
from quant.backtest.sizing import size_scale_rows
from quant.backtest.vectorized import checked_window, fill_reference, run_vectorized
from quant.metrics.overfitting import OverfittingReport, assess_overfitting

SignalFn = Callable[[Panels, dict[str, Any]], pd.DataFrame]
ParamGrid = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class GridResult:
    """``stats[p, s, k]``: summary ``GRID_STATS[k]`` of parameter set ``params[p]`` on ``symbols[s]``;
    ``returns[t, p]`` (when asked for): simple return of set ``p``'s equity summed over symbols on
    bar ``t`` of the traded window (the first against the summed initial capital)."""

    params: tuple[dict[str, Any], ...]
    symbols: tuple[str, ...]
    stats: np.ndarray
    skipped: int = 0
    elapsed_s: float = 0.0
    returns: np.ndarray | None = None

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
        ``n_trials`` = every parameter set in the grid, and CSCV PBO over ``returns``; None when the
        grid ran without ``with_returns`` or is empty."""
        if self.returns is None or not self.params:
            return None
        selected = int(np.argmax(self.objective(objective, min_trades=min_trades)))
        return assess_overfitting(self.returns, selected)

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


_RETURN_SETS_PER_RUN = 64  # parameter sets per vectorized run: bounds the (bars × symbols × sets) arrays


def crossover_returns(open_a: np.ndarray | None, close_a: np.ndarray, fast: np.ndarray, slow: np.ndarray,
                      use_ema: bool, config: BacktestConfig, start: int, end: int, cash0: np.ndarray) -> np.ndarray:
    """(end - start, P) daily ``summed_returns`` of each (fast, slow) crossover: the same trades as
    the fused grid, replayed by the vectorized engine on the materialised signals."""
    per_symbol = config.model_copy(update={"capital_mode": "per_symbol"})
    n, n_sym = close_a.shape
    rows = [np.ascontiguousarray(close_a[:, i]) for i in range(n_sym)]
    out = np.empty((end - start, len(fast)))
    for lo in range(0, len(fast), _RETURN_SETS_PER_RUN):
        hi = min(lo + _RETURN_SETS_PER_RUN, len(fast))
        # built in the engine's own (symbol, set, bar) layout: contiguous writes, and no copy when it is passed
        # on as the (bar, symbol, set) view
        targets = np.empty((n_sym, hi - lo, n))
        for j in range(lo, hi):
            for i in range(n_sym):
                crossover_signal(rows[i], int(fast[j]), int(slow[j]), use_ema, config.allow_short, targets[i, j - lo])
        run = run_vectorized(open_a, close_a, targets.transpose(2, 0, 1), per_symbol, start=start, end=end,
                             initial_cash=cash0, record_trades=False)
        out[:, lo:hi] = summed_returns(run.equity[start:end], cash0)
    return out


def run_crossover_grid(open_: np.ndarray | pd.DataFrame | None, close: np.ndarray | pd.DataFrame,
                       fast_values: Sequence[int], slow_values: Sequence[int], kind: str = "sma",
                       config: BacktestConfig | None = None, *, start: int = 0, end: int | None = None,
                       initial_cash: np.ndarray | None = None, with_returns: bool = False) -> GridResult:
    """Moving-average crossover over every valid (fast, slow) pair × symbol in one fused kernel.

    Long (1) when MA_fast > MA_slow, short (-1) below when ``config.allow_short``, flat otherwise;
    ``kind`` is ``"sma"`` (NaN until ``window`` valid closes) or ``"ema"`` (``span``, seeded at the
    first close). Bars ``[start, end)`` are traded; earlier bars only warm the averages up.
    ``with_returns`` adds each pair's daily returns (see ``crossover_returns``; costs about one
    vectorized backtest per pair).
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
    if len(fast):
        # symbol-major rows; a pandas frame's values are usually already stored that way (no copy)
        close_t = np.ascontiguousarray(close_a.T)
        ref_t = close_t if ref is close_a else np.ascontiguousarray(ref.T)
        # constant sizing rules pass one value per symbol instead of one per bar
        scale_t = size_scale_rows(close_t if config.sizing == "volatility_target" else close_t[:, :1], config)
        csum = np.empty((n_sym, close_t.shape[1] + 1))
        last_nan = np.empty(close_t.shape, dtype=np.int64)
        split_across_threads(lambda lo, hi: window_sums(close_t, lo, hi, csum, last_nan), n_sym)
        args = (ref_t, close_t, csum, last_nan, scale_t, fast, slow, kind == "ema", start, end, cash0,
                config.slippage_bps, config.commission_per_order, config.commission_bps, config.commission_per_share,
                config.allow_short,
                float(config.periods_per_year), out)
        split_across_threads(lambda lo, hi: crossover_grid_tasks(lo, hi, *args), len(fast) * n_sym)
    returns = crossover_returns(open_a, close_a, fast, slow, kind == "ema", config, start, end, cash0) \
        if with_returns else None
    params = tuple({"fast": int(f), "slow": int(s)} for f, s in zip(fast, slow, strict=True))
    return GridResult(params=params, symbols=symbols, stats=out, skipped=skipped,
                      elapsed_s=time.perf_counter() - began, returns=returns)


def expand_grid(param_grid: ParamGrid) -> tuple[dict[str, Any], ...]:
    """A mapping of name -> values becomes its cartesian product; a list of dicts is kept as is."""
    if isinstance(param_grid, Mapping):
        names = list(param_grid)
        return tuple(dict(zip(names, combo, strict=True)) for combo in itertools.product(*param_grid.values()))
    return tuple(dict(p) for p in param_grid)


def grid_stats_for(signal_fn: SignalFn, panels: Panels, config: BacktestConfig, start: int, end: int | None,
                   initial_cash: np.ndarray | None, params: dict[str, Any],
                   with_returns: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """``GRID_STATS`` (n_symbols, N_GRID_STATS) of one parameter set run by the vectorized engine,
    and (``with_returns``) its (bars,) daily ``summed_returns`` over the traded window."""
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
    returns = summed_returns(run.equity[run.start:run.end], cash0)[:, 0] if with_returns else None
    return out, returns


GridShared = tuple[SignalFn, Panels, BacktestConfig, int, int | None, np.ndarray | None, bool]


def _stats_chunk(shared: GridShared, params: list[dict[str, Any]]) -> list[tuple[np.ndarray, np.ndarray | None]]:
    signal_fn, panels, config, start, end, cash, with_returns = shared
    return [grid_stats_for(signal_fn, panels, config, start, end, cash, p, with_returns) for p in params]


def run_grid(signal_fn: SignalFn, panels: Panels, param_grid: ParamGrid, config: BacktestConfig | None = None,
             executor: str = "local", *, start: int = 0, end: int | None = None,
             initial_cash: np.ndarray | None = None, max_workers: int | None = None, with_returns: bool = False,
             ray_address: str | None = None) -> GridResult:
    """Any strategy over a parameter grid: ``signal_fn(panels, params)`` returns target fractions
    (index = ts, columns = symbols). ``executor`` is ``local``, ``process`` or ``ray`` (the
    signal function must then be picklable, i.e. defined at module level); the panels go to each
    worker once. ``max_workers`` (default: the CPU count, 2 for ``process``) sets how many chunks the
    grid is cut into; ``ray_address`` names a Ray cluster (default: a local one, see executors)."""
    config = config or BacktestConfig()
    params = expand_grid(param_grid)
    began = time.perf_counter()
    default_workers = {"local": 1, "process": 2}.get(executor, os.cpu_count() or 1)
    workers = 1 if executor == "local" else max(max_workers or default_workers, 1)
    workers = min(workers, max(len(params), 1))
    chunks = [list(params[k::workers]) for k in range(workers)]
    shared: GridShared = (signal_fn, panels, config, start, end, initial_cash, with_returns)
    with executor_session(executor, ray_address):
        results = map_tasks(_stats_chunk, chunks, executor, max_workers=max_workers, shared=shared,
                            ray_address=ray_address)
    by_param: list[tuple[np.ndarray, np.ndarray | None]] = [(np.empty(0), None)] * len(params)
    for k, chunk_result in enumerate(results):
        for m, item in enumerate(chunk_result):
            by_param[k + m * workers] = item
    symbols = panel_arrays(panels).symbols
    stats = np.stack([b[0] for b in by_param]) if params else np.empty((0, len(symbols), N_GRID_STATS))
    returns = np.column_stack([b[1] for b in by_param]) if with_returns and params else None
    return GridResult(params=params, symbols=symbols, stats=stats, elapsed_s=time.perf_counter() - began,
                      returns=returns)


__all__ = ["GRID_STATS", "GridResult", "crossover_pairs", "crossover_returns", "expand_grid", "run_crossover_grid",
           "run_grid", "summed_returns"]
