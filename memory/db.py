"""Connections: one SQLAlchemy engine per process, on the external or the embedded server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from config import Settings, get_settings
from errors import DatabaseError
from memory.server import redact_url, resolve_database_url


@dataclass(frozen=True)
class Database:
    """An engine, its session factory, and where the server came from."""

    engine: Engine
    sessions: sessionmaker[Session]
    origin: str  # external | inherited | embedded

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    @property
    def safe_url(self) -> str:
        return redact_url(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self.sessions.begin() as session:
            yield session


_lock = threading.Lock()
_databases: dict[str, Database] = {}


def connect(settings: Settings | None = None, *, migrate: bool = True) -> Database:
    """The process-wide database for these settings, started and migrated on first use."""
    settings = settings or get_settings()
    raw = settings.database_url.get_secret_value() if settings.database_url else None
    key = raw or str(settings.pgdata)
    with _lock:
        if key in _databases:
            return _databases[key]
        url, origin = resolve_database_url(raw, settings.pgdata, keep_running=settings.db_keep_running)
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
        except OperationalError as exc:
            raise DatabaseError(
                f"cannot reach the database at {redact_url(url)}: {exc.orig}", code="database_unreachable"
            ) from exc
        database = Database(engine, sessionmaker(engine, expire_on_commit=False), origin)
        if migrate:
            from memory.migrate import upgrade

            upgrade(database)
        _databases[key] = database
        return database


def forget_connections() -> None:
    """Dispose every engine of this process (after `db stop`, or between tests)."""
    with _lock:
        for database in _databases.values():
            database.engine.dispose()
        _databases.clear()
