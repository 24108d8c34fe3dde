"""numba kernels behind ``quant.indicators.core``: 1-D loops over float64 arrays, written to
reproduce pandas / pandas-ta arithmetic (so results agree to ~1e-12, not just approximately).

Every kernel writes into a preallocated ``out`` array and handles NaN the way pandas does:
rolling windows skip NaN and need ``n`` valid values; exponential recursions follow
``Series.ewm(adjust=False, ignore_na=False)`` (a NaN carries the previous value forward and
the decay keeps accruing). ``start`` is the index of the first valid input; nothing before it
is written (callers pre-fill ``out`` with NaN).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_NAN = np.nan
_CONTRACT = {"contract"}  # fused multiply-add in the recursions: ~1 ulp per step, far inside 1e-9


@njit(cache=True, error_model="numpy")
def first_valid(x):
    """Index of the first finite value of ``x`` (len(x) if none)."""
    for i in range(x.shape[0]):
        if x[i] == x[i]:
            return i
    return x.shape[0]


@njit(cache=True, error_model="numpy")
def ewm_from(x, alpha, start, seed, out):
    """pandas ``ewm(alpha, adjust=False).mean()`` of ``x[start:]`` with ``x[start]`` := seed;
    writes NaN before ``start``."""
    n = x.shape[0]
    for i in range(min(start, n)):
        out[i] = _NAN
    if start >= n:
        return
    factor = 1.0 - alpha
    unit = factor + alpha == 1.0
    weighted = seed
    old_wt = 1.0
    out[start] = weighted
    for i in range(start + 1, n):
        weighted, old_wt = _ewm_step(weighted, old_wt, x[i], alpha, factor, unit)
        out[i] = weighted


@njit(cache=True, error_model="numpy", inline="always")
def _ewm_step(weighted, old_wt, cur, alpha, factor, unit):
    """One ``ewm(adjust=False, ignore_na=False)`` update; returns (weighted, old_wt)."""
    if cur == cur:
        if weighted != cur:
            if old_wt == 1.0 and unit:
                weighted = factor * weighted + alpha * cur
            else:
                w = old_wt * factor
                weighted = (w * weighted + alpha * cur) / (w + alpha)
        return weighted, 1.0
    return weighted, old_wt * factor


@njit(cache=True, error_model="numpy")
def sma_1d(x, length, out):
    """Rolling mean over ``length`` values (NaN unless all ``length`` values are valid)."""
    n = x.shape[0]
    total = 0.0
    comp = 0.0
    nan_count = 0
    for i in range(n):
        v = x[i]
        if v == v:
            y = v - comp
            t = total + y
            comp = (t - total) - y
            total = t
        else:
            nan_count += 1
        if i >= length:
            old = x[i - length]
            if old == old:
                y = -old - comp
                t = total + y
                comp = (t - total) - y
                total = t
            else:
                nan_count -= 1
        if i >= length - 1 and nan_count == 0:
            out[i] = total / length
        else:
            out[i] = _NAN


@njit(cache=True, error_model="numpy")
def fill_nan(out, stop):
    for i in range(min(stop, out.shape[0])):
        out[i] = _NAN


@njit(cache=True, error_model="numpy")
def seeded_ewm(x, length, alpha, out):
    """EMA/RMA with pandas-ta's ``presma``: the mean of the first ``length`` values from the first
    valid one seeds ``ewm(alpha, adjust=False)`` at that window's last bar."""
    start = first_valid(x)
    seed_at = start + length - 1
    if seed_at >= x.shape[0]:
        fill_nan(out, x.shape[0])
        return
    total = 0.0
    count = 0
    for i in range(start, seed_at + 1):
        if x[i] == x[i]:
            total += x[i]
            count += 1
    ewm_from(x, alpha, seed_at, total / count, out)


@njit(cache=True, error_model="numpy")
def ema_1d(x, length, out):
    """pandas-ta ``ema(presma=True)``: alpha = 2/(length+1), SMA-seeded."""
    seeded_ewm(x, length, 2.0 / (length + 1.0), out)


@njit(cache=True, error_model="numpy")
def rsi_1d(close, length, out):
    """Wilder RSI as pandas-ta (RMA of gains and losses, seeded by the first change); NaN for
    the first ``length`` bars from the first valid close."""
    n = close.shape[0]
    start = first_valid(close)
    fill_nan(out, start + length)
    if start + 1 >= n:
        return
    alpha = 1.0 / length
    factor = 1.0 - alpha
    unit = factor + alpha == 1.0
    up = _NAN
    down = _NAN
    old_wt = 1.0
    for i in range(start + 1, n):
        d = close[i] - close[i - 1]
        if d == d:
            g = d if d > 0.0 else 0.0
            lo = -d if d < 0.0 else 0.0
            if up != up:
                up = g
                down = lo
            elif old_wt == 1.0 and unit:
                if up != g:
                    up = factor * up + alpha * g
                if down != lo:
                    down = factor * down + alpha * lo
            else:
                w = old_wt * factor
                if up != g:
                    up = (w * up + alpha * g) / (w + alpha)
                if down != lo:
                    down = (w * down + alpha * lo) / (w + alpha)
            old_wt = 1.0
        elif up == up:
            old_wt *= factor
        if i >= start + length:
            denom = up + down
            out[i] = 100.0 * up / denom if denom != 0.0 else _NAN


@njit(cache=True, error_model="numpy", inline="always")
def _true_range(high, low, close, i):
    """max(high-low, |high-prev close|, |prev close-low|) at bar i, NaN terms skipped as pandas does."""
    best = abs(high[i] - low[i])
    if i > 0:
        pc = close[i - 1]
        a = abs(high[i] - pc)
        b = abs(pc - low[i])
        # a NaN term is skipped; a NaN best takes the other term (written so it compiles to selects)
        best = a if (a > best or best != best) else best
        best = b if (b > best or best != best) else best
    return best


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT)
def atr_1d(high, low, close, length, out):
    """pandas-ta ``atr``: RMA of true range, seeded at bar s+length-1 (s = first valid true range)
    by the SMA of the first ``length`` true ranges (the first is high-low). One pass: the true
    ranges of the seed window are staged in ``out``, later ones feed the recursion directly."""
    n = close.shape[0]
    start = n
    for i in range(n):
        out[i] = _true_range(high, low, close, i)
        if out[i] == out[i]:
            start = i
            break
    seed_at = start + length - 1
    if seed_at >= n:
        fill_nan(out, n)
        return
    total = 0.0
    count = 0
    for i in range(start, seed_at + 1):
        tr = _true_range(high, low, close, i)
        if tr == tr:
            total += tr
            count += 1
    fill_nan(out, seed_at)
    alpha = 1.0 / length
    factor = 1.0 - alpha
    unit = factor + alpha == 1.0
    weighted = total / count
    old_wt = 1.0
    out[seed_at] = weighted
    for i in range(seed_at + 1, n):
        weighted, old_wt = _ewm_step(weighted, old_wt, _true_range(high, low, close, i), alpha, factor, unit)
        out[i] = weighted


@njit(cache=True, error_model="numpy")
def _window_mean(x, lo, hi):
    total = 0.0
    count = 0
    for i in range(lo, hi):
        if x[i] == x[i]:
            total += x[i]
            count += 1
    return total / count


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT)
def macd_1d(close, fast, slow, signal, macd, signal_line, histogram):
    """pandas-ta ``macd``: EMA(fast) - EMA(slow) (both SMA-seeded); signal = EMA(signal) of MACD
    seeded by the mean of its first ``signal`` values; histogram = macd - signal. One pass: the
    MACD line never has a NaN after its first value (the EMAs carry over missing closes)."""
    n = close.shape[0]
    start = first_valid(close)
    fast_at = start + fast - 1
    slow_at = start + slow - 1
    sig_at = slow_at + signal - 1
    fill_nan(macd, min(slow_at, n))
    fill_nan(signal_line, min(sig_at, n))
    fill_nan(histogram, min(sig_at, n))
    if slow_at >= n:
        return
    a_f = 2.0 / (fast + 1.0)
    a_s = 2.0 / (slow + 1.0)
    a_g = 2.0 / (signal + 1.0)
    unit_f = (1.0 - a_f) + a_f == 1.0
    unit_s = (1.0 - a_s) + a_s == 1.0
    unit_g = (1.0 - a_g) + a_g == 1.0
    wf = _window_mean(close, start, fast_at + 1)
    of = 1.0
    for i in range(fast_at + 1, slow_at + 1):
        wf, of = _ewm_step(wf, of, close[i], a_f, 1.0 - a_f, unit_f)
    ws = _window_mean(close, start, slow_at + 1)
    os_ = 1.0
    m = wf - ws
    macd[slow_at] = m
    total = m
    for i in range(slow_at + 1, min(sig_at + 1, n)):
        wf, of = _ewm_step(wf, of, close[i], a_f, 1.0 - a_f, unit_f)
        ws, os_ = _ewm_step(ws, os_, close[i], a_s, 1.0 - a_s, unit_s)
        m = wf - ws
        macd[i] = m
        total += m
    if sig_at >= n:
        return
    g = total / signal
    signal_line[sig_at] = g
    histogram[sig_at] = m - g
    og = 1.0
    for i in range(sig_at + 1, n):
        wf, of = _ewm_step(wf, of, close[i], a_f, 1.0 - a_f, unit_f)
        ws, os_ = _ewm_step(ws, os_, close[i], a_s, 1.0 - a_s, unit_s)
        m = wf - ws
        g, og = _ewm_step(g, og, m, a_g, 1.0 - a_g, unit_g)
        macd[i] = m
        signal_line[i] = g
        histogram[i] = m - g


# Row loops for (symbols × bars) C-contiguous panels (callers pass the transpose of a bars × symbols
# panel so each symbol's history is contiguous). They live in this file because numba's cache
# is invalidated per source file: a loop cached elsewhere would keep calling a stale kernel.


@njit(cache=True, error_model="numpy")
def sma_rows(x, length, out):
    for j in range(x.shape[0]):
        sma_1d(x[j], length, out[j])


@njit(cache=True, error_model="numpy")
def ema_rows(x, length, out):
    for j in range(x.shape[0]):
        ema_1d(x[j], length, out[j])


@njit(cache=True, error_model="numpy")
def rsi_rows(x, length, out):
    for j in range(x.shape[0]):
        rsi_1d(x[j], length, out[j])


@njit(cache=True, error_model="numpy")
def atr_rows(high, low, close, length, out):
    for j in range(close.shape[0]):
        atr_1d(high[j], low[j], close[j], length, out[j])


@njit(cache=True, error_model="numpy")
def macd_rows(x, fast, slow, signal, macd, signal_line, histogram):
    for j in range(x.shape[0]):
        macd_1d(x[j], fast, slow, signal, macd[j], signal_line[j], histogram[j])
