"""Plain reads of the stored bars, without pandas: what is stored, one symbol's rows, the newest bar per symbol.

What a read command, the API's hot path and the execution path need (a summary per symbol, a window of
rows, the bar that marks a position) comes back as plain values, so they start without loading a frame
library. ``memory.bars.BarStore`` extends this with the point-in-time frames research reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import text

from errors import ConfigError
from quant.data.bar_fields import DAILY

if TYPE_CHECKING:
    from memory.db import Database

# The last bar per symbol by a backward scan of the primary key (symbol, timeframe, ts): one row each.
LATEST_PER_SYMBOL = text(
    "SELECT b.symbol, b.ts, b.open, b.high, b.low, b.close, b.volume "
    "FROM unnest(CAST(:symbols AS text[])) AS s(symbol) CROSS JOIN LATERAL ("
    " SELECT symbol, ts, open, high, low, close, volume FROM bars"
    " WHERE bars.symbol = s.symbol AND timeframe = :tf AND ts <= :upper ORDER BY ts DESC LIMIT 1) AS b"
)


@dataclass(frozen=True)
class BarRows:
    """One symbol's bars as plain columns, oldest first: ``ts_us`` = microseconds since the epoch (UTC);
    prices and volume as floats, None where unknown (closes-only series)."""

    symbol: str
    ts_us: tuple[int, ...]
    open: tuple[float | None, ...]
    high: tuple[float | None, ...]
    low: tuple[float | None, ...]
    close: tuple[float, ...]
    volume: tuple[float | None, ...]

    def __len__(self) -> int:
        return len(self.ts_us)


@dataclass(frozen=True)
class BarRow:
    """The newest stored bar of a symbol at or before some instant: prices in dollars per share (floats as
    stored; None where the series has no open/high/low or no volume)."""

    symbol: str
    ts: datetime
    open: float | None
    high: float | None
    low: float | None
    close: float
    volume: float | None


@dataclass(frozen=True)
class SymbolSummary:
    symbol: str
    timeframe: str
    bars: int
    first_ts: datetime
    last_ts: datetime
    source: str
    closes_only: bool


def utc_instant(value: date | datetime | str) -> datetime:
    """A point in time as an aware UTC datetime; a bare date (or ``YYYY-MM-DD``) is that day's 00:00 UTC, the
    stamp of its daily bar, as ``memory.bars.as_utc_timestamp`` reads it."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ConfigError(f"not a date or timestamp: {value!r}") from exc
    if not isinstance(value, datetime):
        if not isinstance(value, date):
            raise ConfigError(f"not a date or timestamp: {value!r}")
        value = datetime.combine(value, time())
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class BarIndex:
    """Plain reads of the bars table (no pandas). Reads that take ``as_of`` never return a bar after it."""

    def __init__(self, database: Database):
        self._db = database

    def latest_bars(self, symbols: list[str] | tuple[str, ...], *, as_of: date | datetime | str,
                    timeframe: str = DAILY) -> dict[str, BarRow]:
        """The newest bar of each of ``symbols`` at or before ``as_of``, however old (a symbol without any bar is
        absent). One index lookup per symbol: what marks a position or says how stale a symbol is."""
        with self._db.engine.connect() as conn:
            rows = conn.execute(LATEST_PER_SYMBOL, {"symbols": [s.upper() for s in symbols], "tf": timeframe,
                                                    "upper": utc_instant(as_of)}).all()
        return {row[0]: BarRow(row[0], row[1].astimezone(UTC), *(None if v is None else float(v) for v in row[2:5]),
                               float(row[5]), None if row[6] is None else float(row[6])) for row in rows}

    def read_rows(
        self, symbol: str, start: date | datetime | str | None = None, end: date | datetime | str | None = None,
        *, timeframe: str = DAILY,
    ) -> BarRows:
        """Bars of one symbol with ``start <= ts <= end`` as plain columns (the API's hot path).

        No ``as_of`` here on purpose: callers cut the rows at their point in time (``ts <= as_of``), which
        lets one read serve every ``as_of``; ``BarStore.read`` is the point-in-time frame for everyone else.
        """
        sql = ("SELECT (extract(epoch FROM ts) * 1000000)::bigint, open, high, low, close, volume FROM bars"
               " WHERE symbol = %s AND timeframe = %s AND ts >= %s AND ts <= %s ORDER BY ts")
        low_bound = utc_instant(start) if start is not None else datetime(1, 1, 1, tzinfo=UTC)
        high_bound = utc_instant(end) if end is not None else datetime(9999, 12, 31, tzinfo=UTC)
        raw = self._db.engine.raw_connection()
        try:
            with raw.cursor() as cur:
                cur.execute(sql, (symbol.upper(), timeframe, low_bound, high_bound))
                rows = cur.fetchall()
            raw.commit()
        finally:
            raw.close()
        columns = tuple(zip(*rows, strict=True)) if rows else ((),) * 6
        return BarRows(symbol.upper(), *columns)

    def symbols(self, timeframe: str = DAILY) -> list[SymbolSummary]:
        """What is stored, one summary per symbol."""
        # the bars are summed up first and the summaries joined to their instrument (one row each), not every
        # bar joined and then grouped: ~20% less of the full scan a `data list` waits for
        sql = """
            SELECT b.symbol, b.timeframe, b.n, b.first_ts, b.last_ts, b.source, coalesce(i.closes_only, false)
            FROM (SELECT symbol, timeframe, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts,
                         max(source) AS source
                  FROM bars WHERE timeframe = :tf GROUP BY symbol, timeframe) b
            LEFT JOIN instruments i USING (symbol) ORDER BY b.symbol
        """
        with self._db.engine.connect() as conn:
            rows = conn.execute(text(sql), {"tf": timeframe}).all()
        return [SymbolSummary(*row) for row in rows]

    def known_symbols(self) -> set[str]:
        with self._db.engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT symbol FROM instruments"))}

    def last_bar_ts(self, symbol: str, timeframe: str = DAILY) -> datetime | None:
        with self._db.engine.connect() as conn:
            return conn.execute(
                text("SELECT max(ts) FROM bars WHERE symbol = :s AND timeframe = :tf"),
                {"s": symbol.upper(), "tf": timeframe},
            ).scalar()
