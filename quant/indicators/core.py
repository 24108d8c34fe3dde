"""Fast path for the common indicators: numba kernels over float64 arrays, equal to pandas-ta.

Each function takes a 1-D series (numpy array or ``pd.Series``) or a 2-D panel (numpy array or
wide ``pd.DataFrame``: rows = bars in time order, columns = symbols, computed per column) and
returns the same kind of object with the same index/columns. Values agree with pandas-ta
0.4.71b0 (pure-pandas path, no TA-Lib) to 1e-9 after the warm-up stated per function.

Conventions (all lengths in bars; ``s`` = index of the series' first valid value, so a panel
column whose symbol lists later gets the same values as its own history computed alone):

- ``sma``: rolling mean; NaN for bars < s+length-1 and for windows containing a NaN.
- ``ema``: alpha = 2/(length+1), seeded like pandas-ta (``presma=True``, as TA-Lib): the value at
  s+length-1 is the SMA of the first ``length`` values, then ``ewm(adjust=False)``. NaN before.
- ``rsi``: Wilder smoothing (RMA, alpha = 1/length, ``ewm(adjust=False)``) of gains and losses.
  pandas-ta seeds the RMA with the first one-bar change (not an SMA of ``length`` changes as
  TA-Lib does), so its values from bar s+1 rest on a short history; we return NaN for bars
  < s+length and pandas-ta's value from there on. Scale 0..100.
- ``macd``: EMA(fast) - EMA(slow) (both seeded as ``ema``), signal = EMA(signal) of the MACD line
  from its first value, histogram = macd - signal. MACD valid from s+slow-1, signal and
  histogram from s+slow+signal-2.
- ``bollinger_bands``: mid = SMA(length), bands = mid ± std_mult × rolling std with ``ddof``
  (default 0, population std as Bollinger and TA-Lib define it; NOTE pandas-ta's ``bbands``
  uses ddof=1 when ``ddof`` is not passed, despite its docstring saying 0 — pass ddof
  explicitly to compare). bandwidth = 100·(upper-lower)/mid, percent = (close-lower)/(upper-lower).
  Valid from s+length-1.
- ``atr``: Wilder RMA (alpha = 1/length) of true range, seeded at s+length-1 by the SMA of the
  first ``length`` true ranges, the first being high-low (pandas-ta ``presma=True``, prenan=False).
  NaN for closes-only data (NaN high/low). pandas-ta adds 2.2e-16 to every high-low when any bar
  has high == low; we do not (a 1e-16 difference).
- ``rolling_volatility``: rolling std (ddof, default 1 like pandas) of one-bar log returns over
  ``length`` returns, per-bar units (multiply by sqrt(bars per year) to annualize); equals
  ``pandas_ta.stdev(pandas_ta.log_return(close), length)``. Valid from s+length.

Interior NaNs: rolling functions return NaN while a NaN is in the window; recursive functions
(EMA, RSI, ATR) carry the previous value over a NaN as ``ewm(ignore_na=False)`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from errors import ConfigError
from quant.indicators import kernels as k
from quant.indicators import rolling_kernels as rk

ArrayOrFrame = Any  # np.ndarray (1-D or 2-D) | pd.Series | pd.DataFrame


@dataclass(frozen=True)
class MacdLines:
    """MACD outputs, each shaped like the input."""

    macd: ArrayOrFrame
    signal: ArrayOrFrame
    histogram: ArrayOrFrame


@dataclass(frozen=True)
class BollingerBands:
    """Bollinger outputs, each shaped like the input. ``bandwidth`` (percent of mid) and ``percent``
    (percent-b, a fraction) are derived from the bands on first access: most callers read only the
    bands, and two more full-length outputs would cost as much as the bands themselves."""

    lower: ArrayOrFrame
    mid: ArrayOrFrame
    upper: ArrayOrFrame
    close: ArrayOrFrame = field(repr=False, compare=False)

    @cached_property
    def bandwidth(self) -> ArrayOrFrame:
        """100 · (upper - lower) / mid."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 100.0 * (_values(self.upper) - _values(self.lower)) / _values(self.mid)
        return _like(self.mid, out)

    @cached_property
    def percent(self) -> ArrayOrFrame:
        """(close - lower) / (upper - lower); NaN where the bands coincide."""
        lower = _values(self.lower)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (_values(self.close) - lower) / (_values(self.upper) - lower)
        return _like(self.mid, out)


def _check_length(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}", details={"field": name})
    return int(value)


def _as_rows(values: ArrayOrFrame) -> np.ndarray:
    """float64 array in kernel layout: 1-D contiguous, or (symbols × bars) C-contiguous."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        return np.ascontiguousarray(arr)
    if arr.ndim == 2:
        return np.ascontiguousarray(arr.T)
    raise ConfigError(f"indicator input must be 1-D or 2-D, got {arr.ndim}-D")


def _values(x: ArrayOrFrame) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _wrap(template: ArrayOrFrame, rows: np.ndarray) -> ArrayOrFrame:
    """Kernel-layout ``rows`` as an object like ``template``."""
    return _like(template, rows if rows.ndim == 1 else rows.T)


def _like(template: ArrayOrFrame, out: np.ndarray) -> ArrayOrFrame:
    """``out`` (laid out as ``template``) with ``template``'s index/columns or name."""
    if isinstance(template, pd.DataFrame):
        return pd.DataFrame(out, index=template.index, columns=template.columns)
    if isinstance(template, pd.Series):
        return pd.Series(out, index=template.index, name=template.name)
    return out


def _nan_like(rows: np.ndarray) -> np.ndarray:
    return np.empty(rows.shape)


def sma(values: ArrayOrFrame, length: int = 10) -> ArrayOrFrame:
    """Simple moving average over ``length`` bars (pandas-ta ``sma``)."""
    length = _check_length("length", length)
    x = _as_rows(values)
    out = _nan_like(x)
    (k.sma_1d if x.ndim == 1 else k.sma_rows)(x, length, out)
    return _wrap(values, out)


def ema(values: ArrayOrFrame, length: int = 10) -> ArrayOrFrame:
    """Exponential moving average, SMA-seeded (pandas-ta ``ema``)."""
    length = _check_length("length", length)
    x = _as_rows(values)
    out = _nan_like(x)
    (k.ema_1d if x.ndim == 1 else k.ema_rows)(x, length, out)
    return _wrap(values, out)


def rsi(close: ArrayOrFrame, length: int = 14) -> ArrayOrFrame:
    """Relative strength index 0..100, Wilder smoothing (pandas-ta ``rsi``), NaN for the first
    ``length`` bars."""
    length = _check_length("length", length)
    x = _as_rows(close)
    out = _nan_like(x)
    (k.rsi_1d if x.ndim == 1 else k.rsi_rows)(x, length, out)
    return _wrap(close, out)


def macd(close: ArrayOrFrame, fast: int = 12, slow: int = 26, signal: int = 9) -> MacdLines:
    """MACD line, signal line and histogram (pandas-ta ``macd``); requires fast < slow."""
    fast, slow = _check_length("fast", fast), _check_length("slow", slow)
    signal = _check_length("signal", signal)
    if fast >= slow:
        raise ConfigError(f"macd needs fast < slow, got fast={fast} slow={slow}", details={"field": "fast"})
    x = _as_rows(close)
    lines = [_nan_like(x) for _ in range(3)]
    (k.macd_1d if x.ndim == 1 else k.macd_rows)(x, fast, slow, signal, *lines)
    return MacdLines(*(_wrap(close, line) for line in lines))


def bollinger_bands(close: ArrayOrFrame, length: int = 20, std_mult: float = 2.0, ddof: int = 0) -> BollingerBands:
    """Bollinger bands: SMA(length) ± std_mult × rolling std (ddof 0 by default)."""
    length = _check_length("length", length)
    if not 0 <= ddof < length:
        raise ConfigError(f"ddof must be in [0, length), got {ddof}", details={"field": "ddof"})
    if std_mult <= 0:
        raise ConfigError(f"std_mult must be > 0, got {std_mult}", details={"field": "std_mult"})
    x = _as_rows(close)
    bands = [_nan_like(x) for _ in range(3)]
    (rk.bbands_1d if x.ndim == 1 else rk.bbands_rows)(x, length, float(std_mult), int(ddof), *bands)
    return BollingerBands(*(_wrap(close, b) for b in bands), close=close)


def atr(high: ArrayOrFrame, low: ArrayOrFrame, close: ArrayOrFrame, length: int = 14) -> ArrayOrFrame:
    """Average true range, Wilder smoothing (pandas-ta ``atr``), price units."""
    length = _check_length("length", length)
    h, lo, c = _as_rows(high), _as_rows(low), _as_rows(close)
    if not h.shape == lo.shape == c.shape:
        raise ConfigError(f"atr inputs differ in shape: high {h.shape}, low {lo.shape}, close {c.shape}")
    out = _nan_like(c)
    (k.atr_1d if c.ndim == 1 else k.atr_rows)(h, lo, c, length, out)
    return _wrap(close, out)


def rolling_volatility(close: ArrayOrFrame, length: int = 20, ddof: int = 1) -> ArrayOrFrame:
    """Rolling std of one-bar log returns over ``length`` returns, per-bar units (not annualized)."""
    length = _check_length("length", length)
    if not 0 <= ddof < length:
        raise ConfigError(f"ddof must be in [0, length), got {ddof}", details={"field": "ddof"})
    x = _as_rows(close)
    out = _nan_like(x)
    (rk.log_return_volatility_1d if x.ndim == 1 else rk.volatility_rows)(x, length, int(ddof), out)
    return _wrap(close, out)
