"""Small hand-built bar frames for tests (values chosen so each rule's outcome is obvious)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quant.data.calendar import trading_sessions


def ohlc_bars(symbol: str = "AAA", start: str = "2024-01-02", n: int = 5) -> pd.DataFrame:
    """``n`` consecutive XNYS sessions of consistent OHLCV: close 100, 101, ..., low < open/close < high."""
    ts = trading_sessions(start, pd.Timestamp(start) + pd.Timedelta(days=3 * n + 10))[:n]
    close = 100.0 + np.arange(n)
    return pd.DataFrame({
        "symbol": symbol, "ts": ts, "open": close - 0.5, "high": close + 1.0,
        "low": close - 1.0, "close": close, "volume": 1_000.0 + np.arange(n),
    })


def closes_only(symbol: str = "CCC", start: str = "2024-01-02", n: int = 5) -> pd.DataFrame:
    frame = ohlc_bars(symbol, start, n)
    frame[["open", "high", "low", "volume"]] = np.nan
    return frame
