"""The hot read path of ``GET /api/v1/data/bars/{symbol}``: cached, pre-encoded bar windows.

A window (symbol, start, end) is read once with ``BarStore.read_rows`` (plain SQL, no pandas), each
row encoded to JSON once, and kept in a ``VersionedCache`` tagged with the bar data version (so a
write anywhere invalidates it). Point in time: a request cuts the window at its ``as_of`` by bisecting
the sorted stamps, so it answers exactly what ``BarStore.read(..., as_of=...)`` would; the response is
the ``BarsPublic`` shape, assembled from bytes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import orjson

from errors import ConfigError
from memory.bar_index import BarRows
from memory.read_cache import VersionedCache
from services.market_data import MarketDataService

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


@dataclass(frozen=True)
class EncodedWindow:
    """A window's rows as one JSON array (``body``); ``ends[i]`` = offset just past row ``i`` in it."""

    ts_us: tuple[int, ...]
    body: bytes
    ends: tuple[int, ...]

    @classmethod
    def encode(cls, rows: BarRows) -> EncodedWindow:
        parts = [orjson.dumps({"ts": _EPOCH + timedelta(microseconds=ts), "open": o, "high": h, "low": lo,
                               "close": c, "volume": v}, option=_OPTIONS)
                 for ts, o, h, lo, c, v in zip(rows.ts_us, rows.open, rows.high, rows.low, rows.close,
                                               rows.volume, strict=True)]
        ends, offset = [], 1
        for part in parts:
            offset += len(part)
            ends.append(offset)
            offset += 1  # the comma
        return cls(rows.ts_us, b"[" + b",".join(parts) + b"]", tuple(ends))

    def until(self, cutoff_us: int) -> tuple[int, bytes]:
        """``(count, JSON array)`` of the rows stamped at or before ``cutoff_us``."""
        n = bisect_right(self.ts_us, cutoff_us)
        if n == len(self.ts_us):
            return n, self.body
        return n, (self.body[:self.ends[n - 1]] + b"]") if n else b"[]"


def point_in_time(as_of: datetime | None) -> datetime:
    """The read's cutoff: ``as_of`` (naive = UTC) or now."""
    cutoff = as_of or datetime.now(UTC)
    return cutoff.replace(tzinfo=UTC) if cutoff.tzinfo is None else cutoff


def _midnight_utc(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


class BarsReader:
    """Bars as ``BarsPublic`` JSON bytes, from caches that a bar write anywhere invalidates.

    ``version`` is the bar data version (``ChangeListener.version`` or this process's own counter);
    ``ttl_seconds`` bounds an entry's age (0 = no caching).
    """

    def __init__(self, version: Callable[[], Hashable], *, ttl_seconds: float, max_windows: int = 512):
        self.windows = VersionedCache(version, ttl_seconds=ttl_seconds, max_entries=max_windows)
        self.symbols = VersionedCache(version, ttl_seconds=ttl_seconds, max_entries=1)

    def cached_json(self, symbol: str, start: date | None, end: date | None, cutoff: datetime) -> bytes | None:
        """The answer if everything it needs is cached (no I/O, no waiting: safe on the event loop)."""
        known_hit, known = self.symbols.peek("known")
        if not known_hit or symbol.upper() not in known:
            return None
        hit, window = self.windows.peek(self._key(symbol, start, end))
        if not hit:
            return None
        return self._assemble(symbol, start, end, cutoff, window)

    def read_json(self, service: MarketDataService, symbol: str, start: date | None, end: date | None,
                  cutoff: datetime) -> bytes:
        """The answer, reading what is not cached (blocking: call it from a worker thread)."""
        known = self.symbols.get("known", service.bars.known_symbols)
        if symbol.upper() not in known:
            service.require_symbol(symbol)  # uncached: NotFoundError naming the symbol, unless it just arrived
        window = self.windows.get(self._key(symbol, start, end),
                                  lambda: EncodedWindow.encode(service.bars.read_rows(symbol, start, end)))
        return self._assemble(symbol, start, end, cutoff, window)

    @staticmethod
    def _key(symbol: str, start: date | None, end: date | None) -> tuple:
        return symbol.upper(), start, end

    @staticmethod
    def _assemble(symbol: str, start: date | None, end: date | None, cutoff: datetime,
                  window: EncodedWindow) -> bytes:
        lower, end_ts = _midnight_utc(start), _midnight_utc(end)
        upper = cutoff if end_ts is None else min(cutoff, end_ts)
        if lower is not None and lower > upper:
            raise ConfigError(f"start {lower.date()} is after end/as_of {upper.astimezone(UTC).date()}")
        count, bars = window.until((cutoff - _EPOCH) // _MICROSECOND)
        head = orjson.dumps({"symbol": symbol.upper(), "as_of": cutoff, "count": count}, option=_OPTIONS)
        return b"".join((head[:-1], b',"bars":', bars, b"}"))
