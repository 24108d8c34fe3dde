"""What every market-data provider offers, and the result a fallback chain hands back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

import pandas as pd

from errors import ConfigError
from quant.data.symbols import check_symbol


@runtime_checkable
class DataProvider(Protocol):
    """A source of daily (or other ``timeframe``) bars.

    ``fetch`` returns a canonical bar frame (``quant.data.schema``) for ``symbols`` with bars
    from ``start`` to ``end`` inclusive (None = as far as the source goes); it raises
    ``NotFoundError`` for an unknown symbol, ``ConfigError`` for bad arguments and ``DataError``
    when the source fails or returns nothing. ``available_symbols`` is None when the source
    cannot list them (e.g. Yahoo).
    """

    name: str

    def fetch(
        self,
        symbols: Sequence[str],
        start: date | None = None,
        end: date | None = None,
        timeframe: str = "1d",
    ) -> pd.DataFrame: ...

    def available_symbols(self) -> list[str] | None: ...


@dataclass(frozen=True)
class ProviderFailure:
    """Why one provider in a chain did not serve: its name, the error code and the message."""

    provider: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"provider": self.provider, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class ProviderResult:
    """Bars plus where they came from.

    ``source`` names the provider that served; ``fetched_at`` is UTC; ``stale`` is True when the
    last bar is older than the chain's ``stale_after_days`` sessions before the requested end;
    ``failures`` lists providers tried before ``source``; ``warnings`` are human-readable notes.
    """

    frame: pd.DataFrame
    source: str
    fetched_at: datetime
    stale: bool = False
    warnings: tuple[str, ...] = ()
    failures: tuple[ProviderFailure, ...] = field(default_factory=tuple)
    last_bar_at: pd.Timestamp | None = None

    def to_dict(self) -> dict:
        """Everything but the frame, JSON-friendly."""
        return {
            "source": self.source,
            "fetched_at": self.fetched_at.isoformat(),
            "stale": self.stale,
            "warnings": list(self.warnings),
            "failures": [f.to_dict() for f in self.failures],
            "last_bar_at": None if self.last_bar_at is None else self.last_bar_at.isoformat(),
            "rows": len(self.frame),
            "symbols": sorted(self.frame["symbol"].unique().tolist()) if len(self.frame) else [],
        }


def check_date_range(start: date | None, end: date | None) -> None:
    """Raise ``ConfigError`` when both bounds are given and start is after end."""
    if start is not None and end is not None and pd.Timestamp(start) > pd.Timestamp(end):
        raise ConfigError(
            f"start {start} is after end {end}", details={"start": str(start), "end": str(end)}
        )


def normalize_symbols(symbols: Sequence[str]) -> list[str]:
    """Upper-case, stripped, de-duplicated symbols in the given order; ConfigError if none, DataError naming
    the first that is not a ticker symbol (``quant.data.symbols``)."""
    if isinstance(symbols, str):
        symbols = [symbols]
    seen: dict[str, None] = {}
    for raw in symbols:
        if str(raw).strip():
            seen.setdefault(check_symbol(str(raw), where="symbols"), None)
    if not seen:
        raise ConfigError("no symbols requested", details={"symbols": list(symbols)})
    return list(seen)


def check_timeframe(timeframe: str, supported: Sequence[str], provider: str) -> None:
    """Raise ``ConfigError`` naming the supported timeframes when ``timeframe`` is not one."""
    if timeframe not in supported:
        raise ConfigError(
            f"provider {provider!r} does not serve timeframe {timeframe!r}; supported: {list(supported)}",
            details={"provider": provider, "timeframe": timeframe, "supported": list(supported)},
        )


def clip_dates(frame: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    """Rows of a bar frame with ts on or after ``start`` and on or before ``end`` (dates, UTC)."""
    mask = pd.Series(True, index=frame.index)
    if start is not None:
        mask &= frame["ts"] >= pd.Timestamp(start).tz_localize("UTC")
    if end is not None:
        mask &= frame["ts"] < pd.Timestamp(end).tz_localize("UTC") + pd.Timedelta(days=1)
    return frame.loc[mask].reset_index(drop=True)
