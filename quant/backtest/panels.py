"""Panels: the wide price frames the backtest engines read.

A *panels* mapping holds wide frames keyed by field (``"close"`` required; ``"open"``,
``"high"``, ``"low"``, ``"volume"`` optional), each with index = ts (UTC) and one column per
symbol, all on the same index and columns. Build it from a canonical bar frame with
``panels_from_bars``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from errors import ConfigError, DataError
from quant.data.schema import field_panels

Panels = Mapping[str, pd.DataFrame]


def panels_from_bars(bars: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Wide open/high/low/close/volume frames of a canonical bar frame."""
    return field_panels(bars, ("open", "high", "low", "close", "volume"))


@dataclass(frozen=True)
class PanelArrays:
    """float64 (n_bars × n_symbols) arrays of a panels mapping; ``open`` is None when absent."""

    index: pd.DatetimeIndex
    symbols: tuple[str, ...]
    open: np.ndarray | None
    close: np.ndarray


def panel_arrays(panels: Panels) -> PanelArrays:
    """Arrays of ``panels`` aligned on the close frame's index and columns."""
    if "close" not in panels:
        raise DataError("panels lack a 'close' frame", details={"fields": sorted(panels)})
    close = panels["close"].sort_index()
    open_ = panels.get("open")
    if open_ is not None:
        open_ = open_.reindex(index=close.index, columns=close.columns).to_numpy(dtype=np.float64)
        if not np.isfinite(open_).any():
            open_ = None
    return PanelArrays(index=pd.DatetimeIndex(close.index), symbols=tuple(str(c) for c in close.columns),
                       open=open_, close=close.to_numpy(dtype=np.float64))


def aligned_targets(positions: pd.DataFrame, arrays: PanelArrays) -> np.ndarray:
    """Target fractions reindexed to the panel's bars and symbols (missing = NaN = no decision)."""
    missing = [s for s in arrays.symbols if s not in positions.columns]
    if missing:
        raise DataError(f"positions lack symbols {missing}", details={"symbols": missing})
    return positions.reindex(index=arrays.index, columns=list(arrays.symbols)).to_numpy(dtype=np.float64)


def window_bounds(index: pd.DatetimeIndex, start: datetime | None, end: datetime | None) -> tuple[int, int]:
    """Bar indices ``[lo, hi)`` of the bars between ``start`` and ``end`` inclusive (UTC)."""
    lo = 0 if start is None else int(index.searchsorted(pd.Timestamp(start).tz_convert("UTC")
                                                        if pd.Timestamp(start).tzinfo else
                                                        pd.Timestamp(start).tz_localize("UTC"), side="left"))
    hi = len(index) if end is None else int(index.searchsorted(pd.Timestamp(end).tz_convert("UTC")
                                                               if pd.Timestamp(end).tzinfo else
                                                               pd.Timestamp(end).tz_localize("UTC"), side="right"))
    if hi - lo < 1:
        raise ConfigError("start_date/end_date select no bars", details={"field": "start_date", "start": str(start),
                                                                         "end": str(end)})
    return lo, hi
