"""Vectorized engine: many symbols × many target-position sets in one numba call.

Arrays are (n_bars × n_symbols) float64 with NaN for missing values; targets are fractions in
[-1, 1] shaped (n_bars × n_symbols) or (n_bars × n_symbols × n_params). Two capital modes:

- ``per_symbol``: each (symbol, parameter set) is an independent single-symbol backtest
  starting with the full capital; split over threads (GIL-free numba) by symbol × param.
- ``portfolio``: one account per parameter set, capital split by the target fractions; at each
  bar sells fill before buys and buys are capped by cash.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from errors import ConfigError, DataError
from quant.backtest.config import BacktestConfig
from quant.backtest.executors import split_across_threads
from quant.backtest.kernels import N_STATS, STAT_FIELDS, clip_target, fill_order, simulate
from quant.backtest.ledger import CUR_SIZE, N_TRADE_COLUMNS, record_open_trade
from quant.backtest.sizing import size_scale_rows


@njit(cache=True, nogil=True)
def run_per_symbol(task_lo, task_hi, fill_ref, close, target, scale, start, end, cash0, slippage_bps,
                   commission_per_order, commission_bps, commission_per_share, allow_short, equity, position, trades,
                   record, stats):
    """Independent runs ``[task_lo, task_hi)`` of the symbol-major (symbol × param) task list; arrays
    are fill_ref/close/scale (s, n), target (s, p, n), equity/position (s, p, n), trades (s, p, m, 8),
    stats (s, p, N_STATS). Releases the GIL so Python threads can split the tasks."""
    n_par = target.shape[1]
    for k in range(task_lo, task_hi):
        i = k // n_par
        j = k % n_par
        simulate(fill_ref[i], close[i], target[i, j], scale[i], start, end, cash0[i], slippage_bps,
                 commission_per_order, commission_bps, commission_per_share, allow_short, equity[i, j],
                 position[i, j], trades[i, j], record, stats[i, j])


_THREAD_MIN_BAR_STEPS = 100_000  # below this, one thread is faster than handing work to two


@njit(cache=True, nogil=True)
def simulate_portfolio(fill_ref, close, target, scale, start, end, cash0, slippage_bps, commission_per_order,
                       commission_bps, commission_per_share, allow_short, equity, position, trades, record, stats):
    """One shared account over all symbols: fill_ref/close/target/scale (s, n); equity (n,);
    position (s, n); trades (s, m, 8); stats (s, N_STATS) with per-symbol figures and
    ``final_equity`` holding the symbol's final position value."""
    n_sym = target.shape[0]
    cash = cash0
    pos = np.zeros(n_sym)
    avg = np.zeros(n_sym)
    realized = np.zeros(n_sym)
    fees = np.zeros(n_sym)
    traded = np.zeros(n_sym)
    n_tr = np.zeros(n_sym, dtype=np.int64)
    exposure = np.zeros(n_sym)
    cur = np.zeros((n_sym, CUR_SIZE))
    decided = np.zeros(n_sym)
    pending = np.zeros(n_sym, dtype=np.bool_)
    pend_f = np.zeros(n_sym)
    pend_s = np.ones(n_sym)
    mark = np.full(n_sym, np.nan)
    if start > 0:
        for i in range(n_sym):
            f = target[i, start - 1]
            if f == f:
                decided[i] = clip_target(f, allow_short)
                if decided[i] != 0.0:
                    pending[i] = True
                    pend_f[i] = decided[i]
                    pend_s[i] = scale[i, start - 1]
    for t in range(start, end):
        equity_now = cash
        for i in range(n_sym):
            ref = fill_ref[i, t]
            px = ref if (ref == ref and ref > 0.0) else mark[i]
            if pos[i] != 0.0:
                equity_now += pos[i] * px
        for side in range(2):  # 0: orders that sell, 1: orders that buy
            for i in range(n_sym):
                ref = fill_ref[i, t]
                if not pending[i] or not (ref == ref and ref > 0.0):
                    continue
                wants_more = pend_f[i] * pend_s[i] * max(equity_now, 0.0) > pos[i] * ref
                if (side == 0) == wants_more:
                    continue
                cash, pos[i], avg[i], realized[i], fees[i], traded[i], n_tr[i] = fill_order(
                    t, pend_f[i], pend_s[i], equity_now, ref, cash, pos[i], avg[i], realized[i], fees[i], traded[i],
                    cur[i], trades[i], n_tr[i], record, slippage_bps, commission_per_order, commission_bps,
                    commission_per_share)
                pending[i] = False
                if mark[i] != mark[i]:
                    mark[i] = ref
        total = cash
        for i in range(n_sym):
            c = close[i, t]
            if c == c:
                mark[i] = c
            if pos[i] != 0.0:
                total += pos[i] * mark[i]
                exposure[i] += 1
            position[i, t] = pos[i]
            f = target[i, t]
            if f == f:
                f = clip_target(f, allow_short)
                if f != decided[i]:
                    decided[i] = f
                    pending[i] = True
                    pend_f[i] = f
                    pend_s[i] = scale[i, t]
        equity[t] = total
    for i in range(n_sym):
        n_tr[i] = record_open_trade(cur[i], end - 1, mark[i], pos[i], avg[i], trades[i], n_tr[i], record)
        stats[i, 0] = n_tr[i]
        stats[i, 1] = fees[i]
        stats[i, 2] = 1.0 if pending[i] else 0.0
        stats[i, 3] = exposure[i]
        stats[i, 4] = traded[i]
        stats[i, 5] = pos[i] * mark[i] if pos[i] != 0.0 else 0.0
        stats[i, 6] = realized[i]


@njit(cache=True, nogil=True)
def run_portfolio(task_lo, task_hi, fill_ref, close, target, scale, start, end, cash0, slippage_bps,
                  commission_per_order, commission_bps, commission_per_share, allow_short, equity, position, trades,
                  record, stats):
    """Portfolio runs for parameter sets ``[task_lo, task_hi)``: target (p, s, n), equity (p, n),
    position (p, s, n), trades (p, s, m, 8), stats (p, s, N_STATS)."""
    for j in range(task_lo, task_hi):
        simulate_portfolio(fill_ref, close, target[j], scale, start, end, cash0, slippage_bps,
                           commission_per_order, commission_bps, commission_per_share, allow_short, equity[j],
                           position[j], trades[j], record, stats[j])


@dataclass(frozen=True)
class VectorizedRun:
    """Raw outputs of ``run_vectorized`` (bars outside ``[start, end)`` hold NaN).

    per_symbol: equity/positions (n_bars, n_symbols, n_params); portfolio: equity (n_bars, n_params),
    positions (n_bars, n_symbols, n_params). ``trades[(symbol_index, param_index)]`` is an
    (k, 8) array with columns ``ledger.TRADE_COLUMNS`` (bars as indices; exit_bar -1 = still open).
    ``stats`` is (n_symbols, n_params, len(STAT_FIELDS)). ``fill_convention[i]`` says how symbol i filled.
    """

    equity: np.ndarray
    positions: np.ndarray
    trades: dict[tuple[int, int], np.ndarray]
    stats: np.ndarray
    fill_convention: tuple[str, ...]
    capital_mode: str
    start: int
    end: int

    def stat(self, name: str) -> np.ndarray:
        """One summary field over (n_symbols, n_params), e.g. ``stat('unfilled')``."""
        return self.stats[:, :, STAT_FIELDS.index(name)]


def _split(run_range, n_tasks: int, bar_steps: int) -> None:
    if bar_steps < _THREAD_MIN_BAR_STEPS:
        run_range(0, n_tasks)
    else:
        split_across_threads(run_range, n_tasks)


def checked_window(start: int, end: int | None, n_bars: int) -> tuple[int, int]:
    """``(start, end)`` with ``end`` defaulting to ``n_bars``; ConfigError unless 0 <= start < end <= n_bars
    (the kernels do not bounds-check)."""
    end = n_bars if end is None else int(end)
    if not 0 <= int(start) < end <= n_bars:
        raise ConfigError(f"bar window [{start}, {end}) is not inside [0, {n_bars})",
                          details={"field": "start", "start": start, "end": end, "bars": n_bars})
    return int(start), end


def fill_reference(open_: np.ndarray, close: np.ndarray, config: BacktestConfig) -> tuple[np.ndarray, tuple[str, ...]]:
    """The (n, s) price each order fills at, and the convention used per symbol: ``next_open``,
    or ``next_close`` when asked for or when the symbol's opens are all missing."""
    if config.fill == "next_close" or open_ is None:
        return close, ("next_close",) * close.shape[1]
    has_open = np.isfinite(open_).any(axis=0)
    ref = open_ if has_open.all() else np.where(has_open[None, :], open_, close)
    return ref, tuple("next_open" if h else "next_close" for h in has_open)


def run_vectorized(open_: np.ndarray | None, close: np.ndarray, targets: np.ndarray, config: BacktestConfig, *,
                   start: int = 0, end: int | None = None, initial_cash: np.ndarray | None = None,
                   record_trades: bool = True) -> VectorizedRun:
    """Simulate target fractions ``targets`` (n, s) or (n, s, p) over bars ``[start, end)``.

    ``open_`` may be None for closes-only data. ``initial_cash`` (per symbol, per_symbol mode only)
    defaults to ``config.initial_capital``. Targets before ``start`` serve as warm-up only.
    """
    close = np.asarray(close, dtype=np.float64)
    n, n_sym = close.shape
    start, end = checked_window(start, end, n)
    targets = np.asarray(targets, dtype=np.float64)
    if targets.ndim == 2:
        targets = targets[:, :, None]
    if targets.shape[:2] != close.shape or (open_ is not None and np.shape(open_) != close.shape):
        raise DataError(f"targets {targets.shape[:2]} and opens {np.shape(open_)} must match closes {close.shape}",
                        details={"field": "targets"})
    if initial_cash is not None and np.shape(initial_cash) != (n_sym,):
        raise ConfigError("initial_cash needs one value per symbol", details={"field": "initial_cash"})
    n_par = targets.shape[2]
    ref, conventions = fill_reference(None if open_ is None else np.asarray(open_, dtype=np.float64), close, config)
    ref_t = np.ascontiguousarray(ref.T)
    close_t = np.ascontiguousarray(close.T)
    scale_t = size_scale_rows(close_t, config)
    m = max(end - start, 1) if record_trades else 1
    costs = (config.slippage_bps, config.commission_per_order, config.commission_bps, config.commission_per_share,
             config.allow_short)
    if config.capital_mode == "per_symbol":
        cash0 = np.full(n_sym, config.initial_capital) if initial_cash is None else np.asarray(initial_cash, float)
        tgt = np.ascontiguousarray(targets.transpose(1, 2, 0))
        equity = np.full((n_sym, n_par, n), np.nan)
        position = np.full((n_sym, n_par, n), np.nan)
        trades = np.zeros((n_sym, n_par, m, N_TRADE_COLUMNS))
        stats = np.zeros((n_sym, n_par, N_STATS))
        args = (ref_t, close_t, tgt, scale_t, start, end, cash0, *costs, equity, position, trades, record_trades,
                stats)
        _split(lambda lo, hi: run_per_symbol(lo, hi, *args), n_sym * n_par, n_sym * n_par * (end - start))
        equity_out = equity.transpose(2, 0, 1)
    else:
        tgt = np.ascontiguousarray(targets.transpose(2, 1, 0))
        equity = np.full((n_par, n), np.nan)
        position = np.full((n_par, n_sym, n), np.nan)
        trades_p = np.zeros((n_par, n_sym, m, N_TRADE_COLUMNS))
        stats_p = np.zeros((n_par, n_sym, N_STATS))
        args = (ref_t, close_t, tgt, scale_t, start, end, float(config.initial_capital), *costs, equity, position,
                trades_p, record_trades, stats_p)
        _split(lambda lo, hi: run_portfolio(lo, hi, *args), n_par, n_par * n_sym * (end - start))
        equity_out = equity.T
        position = position.transpose(1, 0, 2)
        trades = trades_p.transpose(1, 0, 2, 3)
        stats = stats_p.transpose(1, 0, 2)
    counts = stats[:, :, 0].astype(np.int64)
    trade_map = {(i, j): trades[i, j, : counts[i, j]].copy() for i in range(n_sym) for j in range(n_par)} \
        if record_trades else {}
    return VectorizedRun(equity=equity_out, positions=position.transpose(2, 0, 1), trades=trade_map,
                         stats=np.ascontiguousarray(stats), fill_convention=conventions,
                         capital_mode=config.capital_mode, start=start, end=end)
