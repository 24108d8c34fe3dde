"""Seeded synthetic bars: geometric Brownian motion with consistent OHLCV, for tests and demos.

Each symbol's path depends only on (seed, symbol), so adding symbols never changes the others.
Bars sit on XNYS sessions; when more bars are asked than the calendar holds, on business days.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from errors import ConfigError
from quant.data.calendar import session_nanos, trading_sessions
from quant.data.providers.base import check_date_range, check_timeframe, normalize_symbols
from quant.data.schema import BAR_COLUMNS, DAILY

TRADING_DAYS_PER_YEAR = 252
MAX_BARS_PER_SYMBOL = 50_000  # ~190 years of business days; ns timestamps end before 2262
DEFAULT_END = date(2024, 12, 31)  # fixed, so a seed always means the same bars


def synthetic_sessions(n_bars: int, end: date = DEFAULT_END, calendar: str = "XNYS") -> pd.DatetimeIndex:
    """The last ``n_bars`` sessions up to ``end`` (UTC midnight); business days if the calendar is short."""
    if not 0 <= n_bars <= MAX_BARS_PER_SYMBOL:
        raise ConfigError(
            f"n_bars must be between 0 and {MAX_BARS_PER_SYMBOL} per symbol, got {n_bars}; "
            "ask for more symbols instead",
            details={"n_bars": n_bars, "max": MAX_BARS_PER_SYMBOL},
        )
    end_nanos = pd.Timestamp(end).tz_localize("UTC").value
    nanos = session_nanos(calendar)
    available = int(np.searchsorted(nanos, end_nanos, side="right"))
    if n_bars <= available:
        return pd.DatetimeIndex(nanos[available - n_bars : available], tz="UTC")
    return pd.bdate_range(end=pd.Timestamp(end), periods=n_bars, tz="UTC")


def synthetic_bars(
    symbols: Sequence[str],
    sessions: pd.DatetimeIndex,
    *,
    seed: int = 0,
    drift_annual: float = 0.07,
    vol_annual: float = 0.20,
    start_price: float = 100.0,
) -> pd.DataFrame:
    """A canonical bar frame of GBM paths: one row per (symbol, session).

    ``drift_annual`` and ``vol_annual`` are annualised fractions (0.2 = 20%), daily step 1/252.
    open/close lie within [low, high]; volume is positive.
    """
    n = len(sessions)
    dt = 1.0 / TRADING_DAYS_PER_YEAR
    sigma = vol_annual * np.sqrt(dt)
    mu = (drift_annual - 0.5 * vol_annual**2) * dt
    names = sorted(normalize_symbols(symbols))  # generated in output order: no sort afterwards
    columns: dict[str, list[np.ndarray]] = {c: [] for c in ("open", "high", "low", "close", "volume")}
    for symbol in names:
        rng = np.random.default_rng([seed, zlib.crc32(symbol.encode())])
        shocks = rng.standard_normal((4, n))
        log_close = np.log(start_price) + np.cumsum(mu + sigma * shocks[0])
        close = np.exp(log_close)
        prev_close = np.exp(np.concatenate(([np.log(start_price)], log_close[:-1])))
        open_ = prev_close * np.exp(0.25 * sigma * shocks[1])  # overnight gap
        body_high = np.maximum(open_, close)
        body_low = np.minimum(open_, close)
        columns["open"].append(open_)
        columns["close"].append(close)
        columns["high"].append(body_high * np.exp(0.5 * sigma * np.abs(shocks[2])))
        columns["low"].append(body_low * np.exp(-0.5 * sigma * np.abs(shocks[3])))
        columns["volume"].append(np.round(np.exp(rng.normal(13.0, 0.4, n))))
    frame = pd.DataFrame(
        {
            "symbol": np.repeat(np.array(names, dtype=object), n),
            "ts": pd.DatetimeIndex(np.tile(sessions.asi8, len(names)), tz="UTC"),
            **{c: np.concatenate(v) if v else np.empty(0) for c, v in columns.items()},
        }
    )
    return frame[list(BAR_COLUMNS)]


class SyntheticProvider:
    """Provider of ``synthetic_bars``; every symbol exists. Daily bars only.

    Without ``start``, ``fetch`` returns the last ``n_bars`` sessions up to ``end`` (default
    ``DEFAULT_END``); with ``start``, the sessions between ``start`` and ``end``.
    """

    name = "synthetic"

    def __init__(self, seed: int = 0, *, n_bars: int = 5 * TRADING_DAYS_PER_YEAR,
                 drift_annual: float = 0.07, vol_annual: float = 0.20, start_price: float = 100.0):
        self.seed = seed
        self.n_bars = n_bars
        self._params = {"drift_annual": drift_annual, "vol_annual": vol_annual, "start_price": start_price}

    def available_symbols(self) -> list[str] | None:
        return None

    def fetch(self, symbols: Sequence[str], start: date | None = None, end: date | None = None,
              timeframe: str = DAILY) -> pd.DataFrame:
        check_timeframe(timeframe, (DAILY,), self.name)
        check_date_range(start, end)
        last = end or DEFAULT_END
        sessions = trading_sessions(start, last) if start else synthetic_sessions(self.n_bars, last)
        return synthetic_bars(symbols, sessions, seed=self.seed, **self._params)
