"""numba loops applying the 1-D kernels to each row of a (symbols × bars) C-contiguous array.

Callers pass the transpose of a (bars × symbols) panel so that each symbol's history is
contiguous in memory; outputs have the same (symbols × bars) layout and start as NaN.
"""

from __future__ import annotations

from numba import njit

from quant.indicators import kernels as k


@njit(cache=True, error_model="numpy")
def sma_rows(x, length, out):
    for j in range(x.shape[0]):
        k.sma_1d(x[j], length, out[j])


@njit(cache=True, error_model="numpy")
def ema_rows(x, length, out):
    for j in range(x.shape[0]):
        k.ema_1d(x[j], length, out[j])


@njit(cache=True, error_model="numpy")
def rsi_rows(x, length, out):
    for j in range(x.shape[0]):
        k.rsi_1d(x[j], length, out[j])


@njit(cache=True, error_model="numpy")
def atr_rows(high, low, close, length, out):
    for j in range(close.shape[0]):
        k.atr_1d(high[j], low[j], close[j], length, out[j])


@njit(cache=True, error_model="numpy")
def macd_rows(x, fast, slow, signal, macd, signal_line, histogram):
    for j in range(x.shape[0]):
        k.macd_1d(x[j], fast, slow, signal, macd[j], signal_line[j], histogram[j])


@njit(cache=True, error_model="numpy")
def bbands_rows(x, length, std_mult, ddof, lower, mid, upper, bandwidth, percent):
    for j in range(x.shape[0]):
        k.bbands_1d(x[j], length, std_mult, ddof, lower[j], mid[j], upper[j], bandwidth[j], percent[j])


@njit(cache=True, error_model="numpy")
def volatility_rows(x, length, ddof, out):
    for j in range(x.shape[0]):
        k.log_return_volatility_1d(x[j], length, ddof, out[j])
