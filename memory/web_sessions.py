"""Web sessions, stored server-side so they can end before they expire: log-out, a revoked user.

The cookie holds a random token (256 bits); the table keeps only its SHA-256, so reading the table yields
no usable cookie. A session is live while it is neither ended nor expired and its user is active: one
query per request checks all three against the database's clock, so every API worker agrees at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from memory.db import Database
from memory.users import ApiUser, Role

_PURGE_AFTER = "1 day"  # ended or expired rows are deleted this long after (when someone logs in)
_LIVE = text(
    "SELECT s.csrf, u.id, u.name, u.role, u.key_id, u.created_at, u.revoked_at"
    " FROM web_sessions s JOIN api_users u ON u.id = s.user_id"
    " WHERE s.id = :id AND s.revoked_at IS NULL AND s.expires_at > now() AND u.revoked_at IS NULL")


def session_id(token: str) -> str:
    """The stored id of the session whose cookie holds ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class StartedSession:
    """A new session: ``token`` goes in the cookie (and nowhere else), ``csrf`` in the pages' forms."""

    token: str
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class LiveSession:
    """A session in force: its user as stored now (role changes apply at once) and its CSRF token."""

    user: ApiUser
    csrf: str


class WebSessionStore:
    """The ``web_sessions`` table."""

    def __init__(self, database: Database):
        self._db = database

    def start(self, user_id: int, max_age_seconds: int) -> StartedSession:
        """A session for user ``user_id`` lasting ``max_age_seconds``; long-dead sessions are purged first."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._db.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM web_sessions WHERE expires_at < now() - interval '{_PURGE_AFTER}'"
                              f" OR revoked_at < now() - interval '{_PURGE_AFTER}'"))
            expires_at = conn.execute(text(
                "INSERT INTO web_sessions (id, user_id, csrf, expires_at)"
                " VALUES (:id, :user, :csrf, now() + make_interval(secs => :age)) RETURNING expires_at"),
                {"id": session_id(token), "user": user_id, "csrf": csrf, "age": max_age_seconds}).scalar_one()
        return StartedSession(token, csrf, expires_at)

    def live(self, token: str) -> LiveSession | None:
        """The session whose cookie holds ``token`` if it is in force, else None."""
        if not token:
            return None
        with self._db.engine.connect() as conn:
            row = conn.execute(_LIVE, {"id": session_id(token)}).first()
        if row is None:
            return None
        return LiveSession(ApiUser(row.id, row.name, Role(row.role), row.key_id, row.created_at, row.revoked_at),
                           row.csrf)

    def end(self, token: str) -> bool:
        """End the session whose cookie holds ``token``; False when it was not in force."""
        with self._db.engine.begin() as conn:
            ended = conn.execute(text("UPDATE web_sessions SET revoked_at = now() WHERE id = :id"
                                      " AND revoked_at IS NULL RETURNING id"), {"id": session_id(token)}).first()
        return ended is not None
