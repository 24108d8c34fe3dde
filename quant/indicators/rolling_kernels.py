"""numba kernels for rolling-window statistics behind ``quant.indicators.core``: rolling mean and
variance, Bollinger bands and log-return volatility, with pandas' NaN rules (a window needs ``length``
valid values) and the same conventions as ``kernels`` (preallocated outputs, float64 in and out).

Running sums are kept relative to an anchor value and recomputed exactly once per window length, so
long series stay within 1e-9 of pandas' two-pass results. The row loops for (symbols × bars) panels
live here too: numba's cache is invalidated per source file, so a loop must sit in the file of the
kernel it calls.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_NAN = np.nan
_CONTRACT = {"contract"}  # fused multiply-add in the running sums: ~1 ulp per step, far inside 1e-9


@njit(cache=True, error_model="numpy")
def _window_sums(x, lo, hi, ref):
    s1 = 0.0
    s2 = 0.0
    for j in range(lo, hi):
        d = x[j] - ref
        s1 += d
        s2 += d * d
    return s1, s2


@njit(cache=True, error_model="numpy")
def rolling_mean_var_1d(x, length, ddof, mean_out, var_out):
    """Rolling mean and variance (ddof) over windows of ``length`` valid values, NaN otherwise.

    Sums of (x - ref) are updated by add/remove and recomputed exactly every ``length`` bars
    around a fresh reference, which bounds both cancellation and drift (agrees with pandas'
    Welford ``rolling.var`` to ~1e-12 relative). A window of identical values has variance 0.
    """
    n = x.shape[0]
    ref = 0.0
    s1 = 0.0
    s2 = 0.0
    nan_count = 0
    same_run = 0
    since_anchor = length
    inv_len = 1.0 / length
    for i in range(n):
        v = x[i]
        since_anchor += 1
        if v == v:
            d = v - ref
            s1 += d
            s2 += d * d
            same_run = same_run + 1 if i > 0 and v == x[i - 1] else 1
        else:
            nan_count += 1
            same_run = 0
            since_anchor = length
        if i >= length:
            old = x[i - length]
            if old == old:
                d = old - ref
                s1 -= d
                s2 -= d * d
            else:
                nan_count -= 1
        if i >= length - 1 and nan_count == 0:
            if since_anchor >= length:
                ref = v
                s1, s2 = _window_sums(x, i - length + 1, i + 1, ref)
                since_anchor = 0
            mean_out[i] = ref + s1 * inv_len
            if same_run >= length:
                var_out[i] = 0.0
            else:
                var_out[i] = max((s2 - s1 * s1 * inv_len) / (length - ddof), 0.0)
        else:
            mean_out[i] = _NAN
            var_out[i] = _NAN


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT)
def bbands_1d(close, length, std_mult, ddof, lower, mid, upper):
    """Bollinger bands: SMA ± std_mult × rolling std(ddof), in one pass with the running sums of
    ``rolling_mean_var_1d`` (same anchoring and recompute)."""
    n = close.shape[0]
    ref = 0.0
    s1 = 0.0
    s2 = 0.0
    nan_count = 0
    same_run = 0
    since_anchor = length
    inv_len = 1.0 / length
    inv_dof = 1.0 / (length - ddof)
    for i in range(n):
        v = close[i]
        since_anchor += 1
        d = 0.0
        d2 = 0.0
        if v == v:
            d = v - ref
            d2 = d * d
            same_run = same_run + 1 if i > 0 and v == close[i - 1] else 1
        else:
            nan_count += 1
            same_run = 0
            since_anchor = length
        if i >= length:
            old = close[i - length]
            if old == old:
                e = old - ref
                d -= e
                d2 -= e * e
            else:
                nan_count -= 1
        s1 += d  # one add per sum on the loop-carried chain
        s2 += d2
        if i >= length - 1 and nan_count == 0:
            if since_anchor >= length:
                ref = v
                s1, s2 = _window_sums(close, i - length + 1, i + 1, ref)
                since_anchor = 0
            m = ref + s1 * inv_len
            dev = 0.0
            if same_run < length:
                dev = std_mult * np.sqrt(max((s2 - s1 * s1 * inv_len) * inv_dof, 0.0))
            mid[i] = m
            lower[i] = m - dev
            upper[i] = m + dev
        else:
            mid[i] = _NAN
            lower[i] = _NAN
            upper[i] = _NAN


@njit(cache=True, error_model="numpy")
def log_return_volatility_1d(close, length, ddof, out):
    """Rolling std (ddof) of one-bar log returns over ``length`` returns (per-bar units)."""
    n = close.shape[0]
    r = np.empty(n)
    if n > 0:
        r[0] = _NAN
    for i in range(1, n):
        r[i] = np.log(close[i] / close[i - 1])
    mean = np.empty(n)
    rolling_mean_var_1d(r, length, ddof, mean, out)
    for i in range(n):
        out[i] = np.sqrt(out[i])


@njit(cache=True, error_model="numpy")
def bbands_rows(x, length, std_mult, ddof, lower, mid, upper):
    for j in range(x.shape[0]):
        bbands_1d(x[j], length, std_mult, ddof, lower[j], mid[j], upper[j])


@njit(cache=True, error_model="numpy")
def volatility_rows(x, length, ddof, out):
    for j in range(x.shape[0]):
        log_return_volatility_1d(x[j], length, ddof, out[j])
