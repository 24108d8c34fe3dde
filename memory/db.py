"""Connections: one SQLAlchemy engine per process, on the external or the embedded server.

A lost connection (the server restarted, an administrator terminated the backend, the network dropped)
surfaces as ``DatabaseError`` with code ``database_connection_lost`` from every engine made here, so each
interface shows one clear line (CLI) or a 503 (API) instead of a driver traceback. Idle pooled connections
that died are replaced transparently (``_check_out``); work that can be repeated safely is retried a few
times with backoff through ``Database.transaction`` / ``Database.read`` / ``retry_on_connection_loss``.
"""

from __future__ import annotations

import logging
import re
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from config import Settings, get_settings
from errors import DatabaseError, DataError, QuantpilotError
from guardrails.redaction import redact_url
from memory.server import resolve_database_url

log = logging.getLogger("quantpilot.memory.db")

CONNECTION_LOST = "database_connection_lost"
UNREACHABLE = "database_unreachable"
COMMIT_UNKNOWN = "database_commit_unknown"
# SQLSTATE class 08 (connection exception) and the server going away: admin_shutdown, crash_shutdown,
# cannot_connect_now. Anything else (constraint violations, serialization failures) is not a lost connection.
_SERVER_GOING_AWAY = frozenset({"57P01", "57P02", "57P03"})
RETRY_ATTEMPTS = 3
_QUOTED = re.compile(r'"[^"]*"')
RETRY_BASE_DELAY_S = 0.2


def connection_lost(exc: BaseException) -> bool:
    """True when ``exc`` means the connection to the server was lost or refused (so the work may be repeated
    on a new connection), not that the statement itself was wrong."""
    if isinstance(exc, DatabaseError):
        return exc.code in (CONNECTION_LOST, UNREACHABLE)
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None) or exc
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith("08") or sqlstate in _SERVER_GOING_AWAY
    # libpq reports a closed socket or a refused connect without any SQLSTATE
    return isinstance(orig, psycopg.OperationalError)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text_ = str(orig).strip().splitlines()
    state = getattr(orig, "sqlstate", None)
    return (text_[0] if text_ else orig.__class__.__name__) + (f" (SQLSTATE {state})" if state else "")


def _as_data_error(exc: BaseException) -> DataError | None:
    """A value the server (or the driver) refused — too long, a NUL byte, not a number (SQLSTATE class 22) —
    as a ``DataError`` with the server's one-line reason and never the statement's parameters."""
    orig = getattr(exc, "orig", None) or exc
    sqlstate = getattr(orig, "sqlstate", None) or ""
    if not (isinstance(orig, psycopg.DataError) or sqlstate.startswith("22")):
        return None
    reason = _QUOTED.sub('"…"', _first_line(exc))  # the server quotes the refused value: never repeat it
    return DataError(f"a value was refused by the database: {reason}", code="invalid_value",
                     details={"sqlstate": sqlstate or None})


def _as_database_error(context: ExceptionContext) -> QuantpilotError | None:
    """``handle_error`` hook: a lost or refused connection becomes a ``DatabaseError`` naming the server, a
    refused value a ``DataError`` (``_as_data_error``). Pre-ping failures are left alone: the pool reconnects
    on those by itself."""
    if context.is_pre_ping:
        return None
    if not (context.is_disconnect or connection_lost(context.original_exception)):
        return _as_data_error(context.original_exception)
    where = redact_url(context.engine.url.render_as_string(hide_password=True)) if context.engine else "?"
    if context.connection is None:
        return DatabaseError(f"cannot reach the database at {where}: {_first_line(context.original_exception)}",
                             code=UNREACHABLE)
    return DatabaseError(f"lost the connection to the database at {where}: "
                         f"{_first_line(context.original_exception)}; the transaction was not committed",
                         code=CONNECTION_LOST)


def make_engine(url: str, **pool: int | float | bool) -> Engine:
    """An engine on ``url`` whose pool checks a connection before handing it out (``_check_out``) and whose lost
    connections become ``DatabaseError`` (pool sizes as keyword arguments, e.g. ``pool_size=5, max_overflow=5``)."""
    # hide_parameters: a failed statement's message (and so a log line or an error answer) never carries the
    # values it was given, which may be secrets or whatever a user typed
    engine = create_engine(url, hide_parameters=True, **pool)
    event.listen(engine.pool, "checkout", _check_out)
    event.listen(engine, "handle_error", _as_database_error)
    return engine


def _check_out(dbapi_connection, record, proxy) -> None:
    """Pessimistic disconnect handling without a round trip on every checkout: an idle connection the server
    closed (a restart, ``pg_terminate_backend``) has its socket turn readable, with the server's goodbye or EOF
    pending; only then is it pinged, and a failed ping makes the pool replace it (``DisconnectionError``). A
    repository opening its own connection per statement no longer pays a ping per statement."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):  # no socket any more: certainly gone
        raise DisconnectionError("the pooled connection has no socket") from None
    if not readable:
        return
    try:
        _ping(dbapi_connection)
    except psycopg.Error as exc:
        raise DisconnectionError(f"the pooled connection was closed by the server: {exc}") from None


def _ping(dbapi_connection) -> None:
    """One round trip outside any transaction (what SQLAlchemy's pre-ping does for psycopg)."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute("SELECT 1")
    finally:
        dbapi_connection.autocommit = autocommit


@dataclass(frozen=True)
class Retrying:
    """The retry policy for lost connections: ``attempts`` tries in all, exponential backoff from ``base_delay_s``
    (``base * 2**(n-1)`` after the n-th try, at most 2 s); any other error, and the last loss, propagate unchanged.
    Called as ``policy(fn, *args, **kwargs)``. (tenacity's loop did the same; importing it cost every command
    ~7 ms.)"""

    attempts: int = RETRY_ATTEMPTS
    base_delay_s: float = RETRY_BASE_DELAY_S

    def __call__[**P, T](self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        attempt = 1
        while True:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if attempt >= self.attempts or not connection_lost(exc):
                    raise
                log.info("database unavailable (attempt %d), retrying: %s", attempt, exc)
                time.sleep(min(self.base_delay_s * 2 ** (attempt - 1), 2.0))
                attempt += 1


def retrying(attempts: int = RETRY_ATTEMPTS, base_delay_s: float = RETRY_BASE_DELAY_S) -> Retrying:
    """The retry policy for lost connections (``Retrying``) with ``attempts`` tries in all."""
    return Retrying(attempts, base_delay_s)


def retry_on_connection_loss[**P, T](fn: Callable[P, T]) -> Callable[P, T]:
    """Decorator for idempotent work that opens its own connection (a read, an upsert keyed by its natural
    key): repeated on a lost connection under ``retrying()``. Never for work that is not safe to repeat."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return retrying()(fn, *args, **kwargs)

    return run


# the session of the unit of work open in this thread or task, with the engine it belongs to, and whether blocks
# inside it are savepoints (False: one flat transaction, see ``Database.unit_of_work``)
_UNIT_OF_WORK: ContextVar[tuple[Engine, Session] | None] = ContextVar("quantpilot_unit_of_work", default=None)
_SAVEPOINTS: ContextVar[bool] = ContextVar("quantpilot_savepoints", default=True)


@dataclass(frozen=True)
class Database:
    """An engine, its session factory, and where the server came from.

    ``unit_of_work()`` makes one transaction of everything inside it: ``session()`` and ``begin()`` join it
    (each as a savepoint, so a repository that catches its own integrity error rolls back only its part),
    which is how a change and its audit row are stored together or not at all, whichever repositories
    write them.
    """

    engine: Engine
    sessions: sessionmaker[Session]
    origin: str  # external | inherited | embedded

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    @property
    def safe_url(self) -> str:
        return redact_url(self.url)

    def _ambient(self) -> Session | None:
        current = _UNIT_OF_WORK.get()
        return current[1] if current is not None and current[0] is self.engine else None

    @contextmanager
    def unit_of_work(self, *, savepoints: bool = True) -> Iterator[Session]:
        """One transaction for everything inside, committed when the outermost block ends, rolled back on any
        error. Nested blocks (and ``session()``/``begin()`` inside) are savepoints of it; with ``savepoints=False``
        (the outermost block's choice) they simply join it, two statements fewer each: for a loop of many small
        steps where any failure should undo the whole step."""
        ambient = self._ambient()
        if ambient is not None:
            with self._nested(ambient):
                yield ambient
            return
        with self.sessions.begin() as session:
            token = _UNIT_OF_WORK.set((self.engine, session))
            flat = _SAVEPOINTS.set(savepoints)
            try:
                yield session
            finally:
                _SAVEPOINTS.reset(flat)
                _UNIT_OF_WORK.reset(token)

    @staticmethod
    def _nested(ambient: Session) -> AbstractContextManager[object]:
        return ambient.begin_nested() if _SAVEPOINTS.get() else nullcontext()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error (inside a unit of
        work: a savepoint of it)."""
        ambient = self._ambient()
        if ambient is not None:
            with self._nested(ambient):
                yield ambient
            return
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in one transaction, for SQL text (inside a unit of work: a savepoint of it)."""
        ambient = self._ambient()
        if ambient is not None:
            with self._nested(ambient):
                yield ambient.connection()
            return
        with self.engine.begin() as connection:
            yield connection

    def transaction[T](self, work: Callable[[Session], T], *, attempts: int = RETRY_ATTEMPTS) -> T:
        """``work(session)`` in one transaction, run again from the start when the connection is lost before
        COMMIT (the server rolled everything back, so nothing is half-written). A loss *during* COMMIT leaves
        the outcome unknown: ``DatabaseError`` code ``database_commit_unknown``, never retried."""
        return retrying(attempts)(self._once, work)

    def read[T](self, work: Callable[[Session], T], *, attempts: int = RETRY_ATTEMPTS) -> T:
        """``work(session)`` that only reads, retried on a lost connection; rolled back, never committed."""

        def once() -> T:
            with self.sessions() as session:
                return work(session)

        return retrying(attempts)(once)

    def _once[T](self, work: Callable[[Session], T]) -> T:
        with self.sessions() as session:  # closing the session rolls back whatever was not committed
            session.begin()
            result = work(session)
            session.flush()
            try:
                session.commit()
            except DatabaseError as exc:
                if exc.code != CONNECTION_LOST:
                    raise
                raise DatabaseError(f"{exc.message.split(';')[0]} during COMMIT; whether the transaction was "
                                    "stored is unknown", code=COMMIT_UNKNOWN) from exc
            return result


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
        engine = make_engine(url, pool_size=5, max_overflow=5)

        def probe() -> None:
            with engine.connect() as conn:
                conn.execute(text("select 1"))

        retrying()(probe)  # DatabaseError (database_unreachable) after the last attempt
        database = Database(engine, sessionmaker(engine, expire_on_commit=False), origin)
        if migrate:
            from memory.schema_version import schema_is_current

            if not schema_is_current(database):  # alembic (slow to import) only when there is work to do
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
