"""The canonical bar frame every provider returns and every consumer reads.

A *bar frame* is a long ``pandas.DataFrame`` with exactly the columns of ``BAR_COLUMNS``:

- ``symbol``: upper-case ticker (str)
- ``ts``: bar timestamp, tz-aware UTC ``datetime64[ns, UTC]``; daily bars are stamped at
  00:00 UTC of the session date
- ``open``, ``high``, ``low``: float, NaN for closes-only series (never invented)
- ``close``: float, always present
- ``volume``: float, NaN when the source has no volume

rows sorted by (symbol, ts), no duplicate (symbol, ts), default RangeIndex.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from quant.data.bar_fields import BAR_COLUMNS, DAILY, PRICE_COLUMNS  # noqa: F401 - the frame's names, re-exported


def empty_bars() -> pd.DataFrame:
    """A bar frame with no rows and the canonical dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS})
    frame["symbol"] = frame["symbol"].astype("object")
    frame["ts"] = pd.Series(dtype="datetime64[ns, UTC]")
    return frame[list(BAR_COLUMNS)]


def to_bar_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce a frame with the bar columns to canonical dtypes, order and sorting (no validation)."""
    missing = [c for c in BAR_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"bar frame lacks columns {missing}")
    out = frame.loc[:, list(BAR_COLUMNS)].copy()
    out["symbol"] = out["symbol"].astype(str).str.upper()
    ts = pd.to_datetime(out["ts"], utc=True)
    out["ts"] = ts.astype("datetime64[ns, UTC]")
    for column in ("open", "high", "low", "close", "volume"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    return out.sort_values(["symbol", "ts"], kind="stable").reset_index(drop=True)


def close_panel(bars: pd.DataFrame) -> pd.DataFrame:
    """Wide frame of closes: index = ts (UTC), columns = symbols."""
    return field_panel(bars, "close")


def field_panel(bars: pd.DataFrame, field: str) -> pd.DataFrame:
    """Wide frame of one bar field (open/high/low/close/volume): index = ts, columns = symbols."""
    return field_panels(bars, (field,))[field]


def field_panels(bars: pd.DataFrame, fields: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Wide frames of several bar fields, each as ``bars.pivot(index="ts", columns="symbol", values=field)
    .sort_index()`` returns it (sorted ts index, sorted symbol columns, NaN where a symbol has no bar),
    built from one factorisation of the keys instead of one pivot per field (10x faster). Values are
    stored symbol-major, as a pivot stores them. ValueError on a duplicate (ts, symbol), as pivot raises."""
    ts_codes, ts_values = pd.factorize(bars["ts"], sort=True)
    symbol_codes, symbols = pd.factorize(bars["symbol"], sort=True)
    cells = symbol_codes * len(ts_values) + ts_codes
    if len(cells) and np.bincount(cells).max() > 1:
        raise ValueError("Index contains duplicate entries, cannot reshape")
    index = pd.DatetimeIndex(ts_values, name="ts")
    columns = pd.Index(symbols, name="symbol")
    out = {}
    for field in fields:
        values = np.full((len(symbols), len(ts_values)), np.nan)
        values[symbol_codes, ts_codes] = bars[field].to_numpy(dtype=np.float64)
        out[field] = pd.DataFrame(values.T, index=index, columns=columns)
    return out
