"""The market clock of each paper account as stored (``market_clocks``), and the sessions the stored bars offer.

A clock is ``simulated`` (its ``now`` is a stored bar's timestamp and moves only forward, bar by bar) or
``real`` (wall-clock time). Sessions are the distinct timestamps of stored daily bars: what a simulated clock
steps through. Persistence only: which clock an account gets, and when it may move, is
``services.market_clock``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from memory.db import Database
from memory.models.execution import MarketClockRow

SIMULATED, REAL = "simulated", "real"


@dataclass(frozen=True)
class StoredClock:
    account_id: str
    mode: str  # simulated | real
    now: datetime | None  # the simulated market's now (UTC); None on real time
    updated_by: str
    updated_at: datetime


def _clock(row: MarketClockRow) -> StoredClock:
    return StoredClock(row.account_id, row.mode, row.now_ts, row.updated_by, row.updated_at)


class MarketClockStore:
    """Read and write account clocks; ask the bars for sessions (daily timeframe)."""

    def __init__(self, database: Database, timeframe: str = "1d") -> None:
        self._db = database
        self.timeframe = timeframe

    def get(self, account_id: str) -> StoredClock | None:
        with self._db.session() as s:
            row = s.get(MarketClockRow, account_id)
            return None if row is None else _clock(row)

    def all(self) -> list[StoredClock]:
        with self._db.session() as s:
            return [_clock(r) for r in s.query(MarketClockRow).order_by(MarketClockRow.account_id)]

    def put(self, account_id: str, mode: str, now: datetime | None, *, by: str) -> StoredClock:
        """Store the account's clock (one row per account), returned as stored."""
        with self._db.session() as s:
            row = s.get(MarketClockRow, account_id, with_for_update=True)
            if row is None:
                row = MarketClockRow(account_id=account_id)
                s.add(row)
            row.mode, row.now_ts, row.updated_by, row.updated_at = mode, now, by, datetime.now(UTC)
            s.flush()
            return _clock(row)

    def create_if_missing(self, account_id: str, mode: str, now: datetime | None, *, by: str) -> StoredClock:
        """The account's stored clock; the given one when it had none (two processes agree on the first)."""
        with self._db.begin() as conn:
            conn.execute(text("INSERT INTO market_clocks (account_id, mode, now_ts, updated_by) VALUES "
                              "(:a, :m, :n, :b) ON CONFLICT (account_id) DO NOTHING"),
                         {"a": account_id, "m": mode, "n": now, "b": by})
        found = self.get(account_id)
        assert found is not None
        return found

    def sessions_after(self, after: datetime, limit: int) -> list[datetime]:
        """The next ``limit`` session timestamps strictly after ``after``, oldest first."""
        return self._stamps("ts > :t ORDER BY ts LIMIT :n", t=after, n=limit)

    def sessions_before(self, before: datetime, limit: int) -> list[datetime]:
        """The ``limit`` session timestamps at or before ``before``, newest first."""
        return self._stamps("ts <= :t ORDER BY ts DESC LIMIT :n", t=before, n=limit)

    def newest_session(self) -> datetime | None:
        found = self._stamps("true ORDER BY ts DESC LIMIT 1")
        return found[0] if found else None

    def _stamps(self, where: str, **params: object) -> list[datetime]:
        sql = f"SELECT DISTINCT ts FROM bars WHERE timeframe = :tf AND {where}"
        with self._db.engine.connect() as conn:
            return [r[0] for r in conn.execute(text(sql), {"tf": self.timeframe, **params})]
