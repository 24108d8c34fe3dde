"""Parameter grids: the fused crossover grid (``run_crossover_grid``) and a generic grid over any
``signal_fn(panels, params) -> positions frame`` (``run_grid``). Both return a ``GridResult``
holding ``GRID_STATS`` per (parameter set, symbol), each symbol an independent backtest."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from errors import ConfigError, DataError
from quant.backtest.config import BacktestConfig
from quant.backtest.executors import map_tasks, split_across_threads
from quant.backtest.grid_kernels import GRID_STATS, N_GRID_STATS, crossover_grid_tasks, summarize_equity, window_sums
from quant.backtest.panels import Panels, aligned_targets, panel_arrays
from quant.backtest.sizing import size_scale_rows
from quant.backtest.vectorized import checked_window, fill_reference, run_vectorized

SignalFn = Callable[[Panels, dict[str, Any]], pd.DataFrame]
ParamGrid = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class GridResult:
    """``stats[p, s, k]``: summary ``GRID_STATS[k]`` of parameter set ``params[p]`` on ``symbols[s]``."""

    params: tuple[dict[str, Any], ...]
    symbols: tuple[str, ...]
    stats: np.ndarray
    skipped: int = 0
    elapsed_s: float = 0.0

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


def run_crossover_grid(open_: np.ndarray | pd.DataFrame | None, close: np.ndarray | pd.DataFrame,
                       fast_values: Sequence[int], slow_values: Sequence[int], kind: str = "sma",
                       config: BacktestConfig | None = None, *, start: int = 0, end: int | None = None,
                       initial_cash: np.ndarray | None = None) -> GridResult:
    """Moving-average crossover over every valid (fast, slow) pair × symbol in one fused kernel.

    Long (1) when MA_fast > MA_slow, short (-1) below when ``config.allow_short``, flat otherwise;
    ``kind`` is ``"sma"`` (NaN until ``window`` valid closes) or ``"ema"`` (``span``, seeded at the
    first close). Bars ``[start, end)`` are traded; earlier bars only warm the averages up.
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
                config.slippage_bps, config.commission_per_order, config.commission_bps, config.allow_short,
                float(config.periods_per_year), out)
        split_across_threads(lambda lo, hi: crossover_grid_tasks(lo, hi, *args), len(fast) * n_sym)
    params = tuple({"fast": int(f), "slow": int(s)} for f, s in zip(fast, slow, strict=True))
    return GridResult(params=params, symbols=symbols, stats=out, skipped=skipped,
                      elapsed_s=time.perf_counter() - began)


def expand_grid(param_grid: ParamGrid) -> tuple[dict[str, Any], ...]:
    """A mapping of name -> values becomes its cartesian product; a list of dicts is kept as is."""
    if isinstance(param_grid, Mapping):
        names = list(param_grid)
        return tuple(dict(zip(names, combo, strict=True)) for combo in itertools.product(*param_grid.values()))
    return tuple(dict(p) for p in param_grid)


def grid_stats_for(signal_fn: SignalFn, panels: Panels, config: BacktestConfig, start: int, end: int | None,
                   initial_cash: np.ndarray | None, params: dict[str, Any]) -> np.ndarray:
    """``GRID_STATS`` (n_symbols, N_GRID_STATS) of one parameter set run by the vectorized engine."""
    arrays = panel_arrays(panels)
    targets = aligned_targets(signal_fn(panels, params), arrays)
    run = run_vectorized(arrays.open, arrays.close, targets, config, start=start, end=end,
                         initial_cash=initial_cash, record_trades=False)
    out = np.empty((len(arrays.symbols), N_GRID_STATS))
    for i in range(len(arrays.symbols)):
        s = run.stats[i, 0]
        cash0 = config.initial_capital if initial_cash is None else float(initial_cash[i])
        summarize_equity(run.equity[:, i, 0], run.start, run.end, cash0, s[0], s[1], s[3], s[2],
                         float(config.periods_per_year), out[i])
    return out


def _stats_chunk(chunk: tuple[SignalFn, Panels, BacktestConfig, int, int | None, np.ndarray | None,
                              list[dict[str, Any]]]) -> list[np.ndarray]:
    signal_fn, panels, config, start, end, cash, params = chunk
    return [grid_stats_for(signal_fn, panels, config, start, end, cash, p) for p in params]


def run_grid(signal_fn: SignalFn, panels: Panels, param_grid: ParamGrid, config: BacktestConfig | None = None,
             executor: str = "local", *, start: int = 0, end: int | None = None,
             initial_cash: np.ndarray | None = None, max_workers: int | None = None) -> GridResult:
    """Any strategy over a parameter grid: ``signal_fn(panels, params)`` returns target fractions
    (index = ts, columns = symbols). ``executor`` is ``local``, ``process`` or ``ray`` (the
    signal function must then be picklable, i.e. defined at module level)."""
    config = config or BacktestConfig()
    params = expand_grid(param_grid)
    began = time.perf_counter()
    workers = 1 if executor == "local" else max(max_workers or 2, 1)
    chunks = [list(params[k::workers]) for k in range(workers)]
    results = map_tasks(_stats_chunk, [(signal_fn, panels, config, start, end, initial_cash, c) for c in chunks],
                        executor, max_workers=max_workers)
    by_param: list[np.ndarray] = [np.empty(0)] * len(params)
    for k, chunk_result in enumerate(results):
        for m, stats in enumerate(chunk_result):
            by_param[k + m * workers] = stats
    symbols = panel_arrays(panels).symbols
    stats = np.stack(by_param) if params else np.empty((0, len(symbols), N_GRID_STATS))
    return GridResult(params=params, symbols=symbols, stats=stats, elapsed_s=time.perf_counter() - began)


__all__ = ["GRID_STATS", "GridResult", "crossover_pairs", "expand_grid", "run_crossover_grid", "run_grid"]
