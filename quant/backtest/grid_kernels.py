"""Fused numba kernels for parameter grids: moving averages computed inside the loop (cumulative
sums for SMA, the recursion for EMA; ``crossover_signals``), so a grid of (fast, slow) pairs ×
symbols never materialises a signal array or a per-symbol equity curve. The trading rules are
those of ``kernels.simulate`` (same ledger functions), so a fused run equals the vectorized engine
on the same signal. For the overfitting statistics a run can add its equity at each bar into one
row per parameter set (the equity summed over symbols), which ``grid_moments`` folds into return sums.

Per-run summary fields (``GRID_STATS``): total_return (fraction), sharpe, sortino (annualised,
rf = 0), max_drawdown (fraction), cagr, calmar, trades (incl. one still open), fees ($),
exposure (fraction of bars held), unfilled (0/1), final_equity ($).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from quant.backtest.crossover_signals import ema_signals, sma_signals, sma_signals_from_sums
from quant.backtest.kernels import fill_order
from quant.backtest.ledger import CUR_SIZE

GRID_STATS = ("total_return", "sharpe", "sortino", "max_drawdown", "cagr", "calmar", "trades", "fees", "exposure",
              "unfilled", "final_equity")
N_GRID_STATS = len(GRID_STATS)


@njit(cache=True, nogil=True, error_model="numpy")
def finalize_stats(first, final, n_ret, sum_r, sum_r2, sum_neg2, max_dd, trades, fees, exposure, unfilled,
                   periods_per_year, out):
    """Fill ``out`` (``GRID_STATS``) from running sums of the ``n_ret`` per-bar simple returns of a
    window whose base value ``first`` is the initial capital (the first return is bar 0 vs it)."""
    nan = np.nan
    out[0] = final / first - 1.0
    root = np.sqrt(periods_per_year)
    sharpe = nan
    sortino = nan
    if n_ret > 1:
        mean = sum_r / n_ret
        var = (sum_r2 - sum_r * mean) / (n_ret - 1)
        if var > 1e-30:
            sharpe = mean / np.sqrt(var) * root
        if sum_neg2 > 0:
            sortino = mean / np.sqrt(sum_neg2 / n_ret) * root
    out[1] = sharpe
    out[2] = sortino
    out[3] = max_dd
    cagr = nan
    if n_ret > 0:
        cagr = (final / first) ** (periods_per_year / n_ret) - 1.0 if final > 0 else -1.0
    out[4] = cagr
    out[5] = cagr / max_dd if max_dd > 0 else nan
    out[6] = trades
    out[7] = fees
    out[8] = exposure / n_ret if n_ret > 0 else nan
    out[9] = unfilled
    out[10] = final


@njit(cache=True, nogil=True, error_model="numpy")
def summarize_equity(equity, start, end, cash0, trades, fees, exposure, unfilled, periods_per_year, out):
    """``GRID_STATS`` of ``equity[start:end]`` against the initial capital ``cash0`` (the generic
    grid path's equivalent of the fused running sums)."""
    first = cash0
    prev = first
    peak = first
    max_dd = 0.0
    n_ret = 0
    sum_r = 0.0
    sum_r2 = 0.0
    sum_neg2 = 0.0
    dd_floor = first
    for t in range(start, end):
        n_ret += 1
        prev, peak, max_dd, dd_floor, sum_r, sum_r2, sum_neg2 = _add_equity(
            equity[t], prev, peak, max_dd, dd_floor, sum_r, sum_r2, sum_neg2)
    finalize_stats(first, prev, n_ret, sum_r, sum_r2, sum_neg2, max_dd, trades, fees, exposure, unfilled,
                   periods_per_year, out)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _add_equity(eq, prev, peak, max_dd, dd_floor, sum_r, sum_r2, sum_neg2):
    """Fold one bar's equity into the running return sums and drawdown; flat bars with unchanged
    equity add nothing (skips the division). Returns (prev, peak, max_dd, dd_floor, sum_r, sum_r2, sum_neg2)."""
    if eq != prev:
        r = eq / prev - 1.0
        sum_r += r
        sum_r2 += r * r
        neg = min(r, 0.0)
        sum_neg2 += neg * neg
        prev = eq
        if eq > peak:
            peak = eq
            dd_floor = peak * (1.0 - max_dd)
        elif eq < dd_floor:  # a deeper drawdown than any so far
            max_dd = 1.0 - eq / peak
            dd_floor = peak * (1.0 - max_dd)
    return prev, peak, max_dd, dd_floor, sum_r, sum_r2, sum_neg2


@njit(cache=True, nogil=True, error_model="numpy")
def crossover_run(fill_ref, close, csum, last_nan, scale, fast, slow, use_ema, start, end, cash0, slippage_bps,
                  commission_per_order, commission_bps, commission_per_share, allow_short, periods_per_year, out,
                  sig_buf, signals_ready, equity_sum):
    """One (fast, slow) crossover backtest on one symbol: target 1 when MA_fast > MA_slow, -1
    when below and shorting is allowed, else 0 (0 while either MA is undefined). ``scale`` holds
    one value per bar, or a single value. ``sig_buf`` (n,) is scratch space for the signals, or
    holds them already when ``signals_ready`` (from ``t0`` = 0 for EMA, max(start-1, 0) for SMA).
    ``equity_sum`` (end - start,): the run's equity at each traded bar is added to it; length 0: not kept."""
    cur = np.zeros(CUR_SIZE)
    cash = cash0
    position = 0.0
    avg_cost = 0.0
    realized = 0.0
    fees = 0.0
    traded = 0.0
    n_trades = 0
    exposure = 0
    decided = 0.0
    pending = False
    pend_scale = 1.0
    mark = np.nan
    first = cash0
    prev = cash0
    peak = cash0
    max_dd = 0.0
    dd_floor = cash0
    n_ret = 0
    sum_r = 0.0
    sum_r2 = 0.0
    sum_neg2 = 0.0
    dummy = np.zeros((1, 8))
    has_nan = last_nan[end - 1] >= 0 if end > 0 else False
    varying_scale = scale.shape[0] > 1  # a single value when sizing does not vary by bar
    keep_equity = equity_sum.shape[0] > 0
    t0 = 0 if use_ema else max(start - 1, 0)  # an SMA needs no history beyond the window sums
    if signals_ready:
        pass
    elif use_ema:
        ema_signals(close, fast, slow, allow_short, end, sig_buf)
    else:
        sma_signals(csum, last_nan, has_nan, fast, slow, allow_short, t0, end, sig_buf)
    t = t0
    while t < end:
        sig = sig_buf[t]
        if t < start:
            if t == start - 1:
                decided = sig
                pending = sig != 0.0
                pend_scale = scale[t] if varying_scale else scale[0]
            t += 1
            continue
        if not pending and not has_nan:
            # nothing to fill and no new decision until the signal changes: a tight loop over the run
            # (flat: zero returns, only the mark moves; held: equity at each close, same arithmetic)
            u = t
            if position == 0.0:
                while u < end and sig_buf[u] == decided:
                    u += 1
                if keep_equity:
                    for v in range(t, u):
                        equity_sum[v - start] += cash
            else:
                while u < end and sig_buf[u] == decided:
                    eq = cash + position * close[u]
                    if keep_equity:
                        equity_sum[u - start] += eq
                    prev, peak, max_dd, dd_floor, sum_r, sum_r2, sum_neg2 = _add_equity(
                        eq, prev, peak, max_dd, dd_floor, sum_r, sum_r2, sum_neg2)
                    u += 1
                exposure += u - t
            if u > t:
                n_ret += u - t
                mark = close[u - 1]
                t = u
                continue
        if pending:
            ref = fill_ref[t]
            if ref == ref and ref > 0.0:
                cash, position, avg_cost, realized, fees, traded, n_trades = fill_order(
                    t, decided, pend_scale, cash + position * ref, ref, cash, position, avg_cost, realized, fees,
                    traded, cur, dummy, n_trades, False, slippage_bps, commission_per_order, commission_bps,
                    commission_per_share)
                pending = False
                if mark != mark:
                    mark = ref
        c = close[t]
        if c == c:
            mark = c
        n_ret += 1
        eq = cash
        if position != 0.0:
            eq += position * mark
            exposure += 1
        if keep_equity:
            equity_sum[t - start] += eq
        prev, peak, max_dd, dd_floor, sum_r, sum_r2, sum_neg2 = _add_equity(
            eq, prev, peak, max_dd, dd_floor, sum_r, sum_r2, sum_neg2)
        if sig != decided:
            decided = sig
            pending = True
            pend_scale = scale[t] if varying_scale else scale[0]
        t += 1
    if position != 0.0:
        n_trades += 1
    finalize_stats(first, prev, n_ret, sum_r, sum_r2, sum_neg2, max_dd, n_trades, fees, exposure,
                   1.0 if pending else 0.0, periods_per_year, out)


@njit(cache=True, nogil=True, error_model="numpy")
def crossover_grid_tasks(task_lo, task_hi, fill_ref, close, csum, last_nan, scale, fast, slow, use_ema, start, end,
                         cash0, slippage_bps, commission_per_order, commission_bps, commission_per_share, allow_short,
                         periods_per_year, out, equity_sums):
    """Runs tasks ``[task_lo, task_hi)`` of the (pair-major) pair × symbol grid on the calling thread
    (releases the GIL, so Python threads can split a grid): fill_ref/close (s, n); scale (s, n) or
    (s, 1); fast/slow (P,) int64; cash0 (s,); out (P, s, N_GRID_STATS). For SMA the tasks run symbol
    by symbol, each distinct window's rolling sum computed once per symbol and shared by its pairs.
    ``equity_sums`` (P, end - start) gets each pair's equity summed over its symbols (threads must then
    split the tasks at pair boundaries: a row is written by one thread), or is (0, 0): not kept."""
    n_sym, n = close.shape
    sig_buf = np.empty(n)  # one scratch signal row per thread, reused by every task
    keep_equity = equity_sums.shape[0] > 0
    no_equity = np.empty(0)
    if task_hi <= task_lo:
        return
    if use_ema:
        for k in range(task_lo, task_hi):
            j = k // n_sym
            i = k % n_sym
            crossover_run(fill_ref[i], close[i], csum[i], last_nan[i], scale[i], fast[j], slow[j], use_ema, start,
                          end, cash0[i], slippage_bps, commission_per_order, commission_bps, commission_per_share,
                          allow_short, periods_per_year, out[j, i], sig_buf, False,
                          equity_sums[j] if keep_equity else no_equity)
        return
    j_lo = task_lo // n_sym
    j_hi = (task_hi - 1) // n_sym + 1
    slot = np.full(max(fast[j_lo:j_hi].max(), slow[j_lo:j_hi].max()) + 1, -1, dtype=np.int64)
    n_windows = 0
    for j in range(j_lo, j_hi):
        for w in (fast[j], slow[j]):
            if slot[w] < 0:
                slot[w] = n_windows
                n_windows += 1
    sums = np.empty((n_windows, n))
    t0 = max(start - 1, 0)
    for i in range(n_sym):
        for w in range(slot.shape[0]):
            if slot[w] >= 0:
                row = sums[slot[w]]
                for t in range(max(t0, w - 1), end):
                    row[t] = csum[i, t + 1] - csum[i, t + 1 - w]
        has_nan = last_nan[i, end - 1] >= 0 if end > 0 else False
        for j in range(j_lo, j_hi):
            k = j * n_sym + i
            if k < task_lo or k >= task_hi:
                continue
            sma_signals_from_sums(sums[slot[fast[j]]], sums[slot[slow[j]]], last_nan[i], has_nan, fast[j], slow[j],
                                  allow_short, t0, end, sig_buf)
            crossover_run(fill_ref[i], close[i], csum[i], last_nan[i], scale[i], fast[j], slow[j], use_ema, start,
                          end, cash0[i], slippage_bps, commission_per_order, commission_bps, commission_per_share,
                          allow_short, periods_per_year, out[j, i], sig_buf, True,
                          equity_sums[j] if keep_equity else no_equity)
