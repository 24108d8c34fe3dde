"""Moving-average crossover signals (numba): the targets the fused grid trades, from cumulative sums
(SMA: each window's sum is a difference of two cumulative sums, compared after scaling by the other
window, so no division) or the EMA recursion. Targets: 1 when MA_fast > MA_slow, -1 below when
shorting is allowed, else 0 (0 while either average is undefined)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def last_nan_index(x):
    """For each t, the index of the last NaN at or before t (-1 if none)."""
    out = np.empty(x.shape[0], dtype=np.int64)
    last = -1
    for t in range(x.shape[0]):
        if x[t] != x[t]:
            last = t
        out[t] = last
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def window_sums(close, row_lo, row_hi, csum, last_nan):
    """For symbols ``[row_lo, row_hi)`` of ``close`` (s, n): cumulative sums with NaN as 0 into
    ``csum`` (s, n + 1) and the index of the last NaN at or before each bar into ``last_nan`` (s, n)."""
    n = close.shape[1]
    for i in range(row_lo, row_hi):
        acc = 0.0
        csum[i, 0] = 0.0
        for t in range(n):
            x = close[i, t]
            if x == x:
                acc += x
            csum[i, t + 1] = acc
        last_nan[i] = last_nan_index(close[i])


@njit(cache=True, nogil=True, error_model="numpy")
def sma_signals(csum, last_nan, has_nan, fast, slow, allow_short, t0, end, out):
    """SMA crossover targets for bars ``[t0, end)`` into ``out``: a branch-free pass the compiler
    vectorises (window sums compared after scaling by the other window: no division)."""
    lo = max(t0, slow - 1)
    for t in range(t0, min(lo, end)):
        out[t] = 0.0
    short = 1.0 if allow_short else 0.0
    for t in range(lo, end):
        ms = (csum[t + 1] - csum[t + 1 - slow]) * fast
        mf = (csum[t + 1] - csum[t + 1 - fast]) * slow
        out[t] = (1.0 if mf > ms else 0.0) - short * (1.0 if mf < ms else 0.0)
    if has_nan:
        for t in range(lo, end):
            if last_nan[t] > t - slow:
                out[t] = 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def sma_signals_from_sums(sum_fast, sum_slow, last_nan, has_nan, fast, slow, allow_short, t0, end, out):
    """``sma_signals`` from window sums computed once per window (``sum_w[t]`` = the sum of the ``w``
    closes ending at bar t): the same products and comparisons, so the same targets."""
    lo = max(t0, slow - 1)
    for t in range(t0, min(lo, end)):
        out[t] = 0.0
    short = 1.0 if allow_short else 0.0
    for t in range(lo, end):
        ms = sum_slow[t] * fast
        mf = sum_fast[t] * slow
        out[t] = (1.0 if mf > ms else 0.0) - short * (1.0 if mf < ms else 0.0)
    if has_nan:
        for t in range(lo, end):
            if last_nan[t] > t - slow:
                out[t] = 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def ema_signals(close, fast, slow, allow_short, end, out):
    """EMA crossover targets for bars ``[0, end)`` into ``out`` (spans ``fast``/``slow``, seeded at the
    first valid close, a missing close holds both averages)."""
    ema_f = np.nan
    ema_s = np.nan
    a_f = 2.0 / (fast + 1.0)
    a_s = 2.0 / (slow + 1.0)
    for t in range(end):
        x = close[t]
        if x == x:
            if ema_f != ema_f:
                ema_f = x
                ema_s = x
            else:
                ema_f += a_f * (x - ema_f)
                ema_s += a_s * (x - ema_s)
        sig = 0.0
        if ema_f > ema_s:
            sig = 1.0
        elif allow_short and ema_f < ema_s:
            sig = -1.0
        out[t] = sig


@njit(cache=True, nogil=True, error_model="numpy")
def crossover_signal(close, fast, slow, use_ema, allow_short, out):
    """The target series ``crossover_run`` trades, materialised (for one chosen pair): 1 / -1 / 0."""
    n = close.shape[0]
    if use_ema:
        ema_signals(close, fast, slow, allow_short, n, out)
        return
    csum = np.empty((1, n + 1))
    last_nan = np.empty((1, n), dtype=np.int64)
    window_sums(close.reshape((1, n)), 0, 1, csum, last_nan)
    sma_signals(csum[0], last_nan[0], n > 0 and last_nan[0, n - 1] >= 0, fast, slow, allow_short, 0, n, out)
