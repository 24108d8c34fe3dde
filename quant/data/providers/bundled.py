"""Real daily prices that ship inside installed PyPI packages: the offline default.

- skfolio ``load_sp500_dataset``: 20 S&P 500 stocks, closes only, 1990-01-02..2022-12-28
- skfolio ``load_sp500_index``: the S&P 500 index as ``SP500``, closes only, same span
- skfolio ``load_factors_dataset``: factor ETFs MTUM, QUAL, SIZE, USMV, VLUE, closes only, 2014..2022
- arch ``arch.data.sp500`` as ``GSPC`` and ``arch.data.nasdaq`` as ``IXIC``: OHLCV, 1999-01-04..2018-12-31.
  We take Yahoo's ``Close`` (split-adjusted, not dividend-adjusted) and ignore ``Adj Close`` so
  that open/high/low/close stay on one consistent scale.

Closes-only series carry NaN open/high/low and NaN volume (never invented).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date

import numpy as np
import pandas as pd

from errors import NotFoundError
from quant.data.providers.base import check_date_range, check_timeframe, clip_dates, normalize_symbols
from quant.data.schema import DAILY, empty_bars, to_bar_frame

SP500_STOCKS: tuple[str, ...] = (
    "AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO",
    "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM",
)  # fmt: skip
FACTOR_ETFS: tuple[str, ...] = ("MTUM", "QUAL", "SIZE", "USMV", "VLUE")
INDEX_SYMBOLS: tuple[str, ...] = ("SP500", "GSPC", "IXIC")


def _closes_only(wide: pd.DataFrame) -> pd.DataFrame:
    """Long bar frame from a wide frame of closes (index = naive dates, columns = symbols)."""
    long = wide.rename_axis(index="ts", columns="symbol").stack().rename("close").reset_index()
    long["ts"] = pd.to_datetime(long["ts"]).dt.tz_localize("UTC")
    for column in ("open", "high", "low", "volume"):
        long[column] = np.nan
    return to_bar_frame(long)


def _yahoo_ohlcv(raw: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """Long bar frame from an arch dataset (Open/High/Low/Close/Adj Close/Volume, naive dates)."""
    frame = pd.DataFrame(
        {
            "symbol": symbol,
            "ts": pd.to_datetime(raw.index).tz_localize("UTC"),
            "open": raw["Open"].to_numpy(),
            "high": raw["High"].to_numpy(),
            "low": raw["Low"].to_numpy(),
            "close": raw["Close"].to_numpy(),
            "volume": raw["Volume"].to_numpy(dtype="float64"),
        }
    )
    return to_bar_frame(frame)


@functools.cache
def _dataset(key: str) -> pd.DataFrame:
    """Load one packaged dataset as a bar frame, once per process."""
    if key == "sp500_stocks":
        from skfolio.datasets import load_sp500_dataset

        return _closes_only(load_sp500_dataset())
    if key == "sp500_index":
        from skfolio.datasets import load_sp500_index

        return _closes_only(load_sp500_index())
    if key == "factors":
        from skfolio.datasets import load_factors_dataset

        return _closes_only(load_factors_dataset())
    if key == "gspc":
        from arch.data import sp500

        return _yahoo_ohlcv(sp500.load(), "GSPC")
    if key == "ixic":
        from arch.data import nasdaq

        return _yahoo_ohlcv(nasdaq.load(), "IXIC")
    raise KeyError(key)


_DATASET_OF: dict[str, str] = {
    **{s: "sp500_stocks" for s in SP500_STOCKS},
    **{s: "factors" for s in FACTOR_ETFS},
    "SP500": "sp500_index",
    "GSPC": "gspc",
    "IXIC": "ixic",
}


class BundledProvider:
    """Offline provider over the packaged datasets above (daily bars only)."""

    name = "bundled"

    def __init__(self, loader: Callable[[str], pd.DataFrame] = _dataset):
        self._load = loader

    def available_symbols(self) -> list[str]:
        return sorted(_DATASET_OF)

    def fetch(
        self,
        symbols: Sequence[str],
        start: date | None = None,
        end: date | None = None,
        timeframe: str = DAILY,
    ) -> pd.DataFrame:
        """Bars for ``symbols`` between ``start`` and ``end`` inclusive, sorted by (symbol, ts)."""
        check_timeframe(timeframe, (DAILY,), self.name)
        check_date_range(start, end)
        wanted = normalize_symbols(symbols)
        unknown = [s for s in wanted if s not in _DATASET_OF]
        if unknown:
            raise NotFoundError(
                f"bundled data has no symbol(s) {unknown}; available: {', '.join(self.available_symbols())}",
                details={"symbols": unknown, "available": self.available_symbols()},
            )
        parts = []
        for key in dict.fromkeys(_DATASET_OF[s] for s in wanted):
            data = self._load(key)
            parts.append(data.loc[data["symbol"].isin(wanted)])
        frame = pd.concat(parts, ignore_index=True) if parts else empty_bars()
        frame = frame.sort_values(["symbol", "ts"], kind="stable").reset_index(drop=True)
        return clip_dates(frame, start, end)
