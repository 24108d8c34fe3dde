"""Work leases (``work_leases``): a user's running interactive work (chat turns, MCP tool calls), counted
across interfaces and processes. A lease is taken only while the user holds fewer than the limit (one
transaction under a per-user advisory lock, so two takers never both pass), ends when its work ends, and
expires by itself if the process holding it died."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from memory.db import Database

LEASE_LOCK_CLASS = 7_104_204  # advisory-lock class id serialising one user's lease takers (object id = user id)


@dataclass(frozen=True)
class LeaseRefused:
    """The limit was reached: how many run now, and when the soonest ends at the latest."""

    active: int
    soonest_expiry: datetime | None


class WorkLeases:
    def __init__(self, database: Database):
        self.database = database

    def take(self, user_id: int, kind: str, channel: str, limit: int, ttl_s: float) -> int | LeaseRefused:
        """A new lease's id, or ``LeaseRefused`` when ``user_id`` already holds ``limit`` live leases of ``kind``."""
        with self.database.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:c, :u)"), {"c": LEASE_LOCK_CLASS, "u": user_id})
            conn.execute(text("DELETE FROM work_leases WHERE user_id = :u AND expires_at < now()"), {"u": user_id})
            active, soonest = conn.execute(text(
                "SELECT count(*), min(expires_at) FROM work_leases WHERE user_id = :u AND kind = :k"),
                {"u": user_id, "k": kind}).one()
            if active >= limit:
                return LeaseRefused(int(active), soonest)
            return conn.execute(text(
                "INSERT INTO work_leases (user_id, kind, channel, expires_at) VALUES (:u, :k, :ch,"
                " now() + make_interval(secs => :ttl)) RETURNING id"),
                {"u": user_id, "k": kind, "ch": channel, "ttl": float(ttl_s)}).scalar_one()

    def end(self, lease_id: int) -> None:
        with self.database.engine.begin() as conn:
            conn.execute(text("DELETE FROM work_leases WHERE id = :id"), {"id": lease_id})

    def active(self, user_id: int, kind: str) -> int:
        with self.database.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM work_leases WHERE user_id = :u AND kind = :k"
                                         " AND expires_at >= now()"), {"u": user_id, "k": kind}).scalar_one())
