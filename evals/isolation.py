"""Isolated state per trial: one Postgres database per trial, cloned from a template database.

The template is built once per data set (migrated, the bundled symbols loaded and validated, the
LangGraph checkpointer tables set up) and reused across trials and runs; a clone with
``CREATE DATABASE ... TEMPLATE ... STRATEGY WAL_LOG`` takes ~0.2 s on the embedded server and is
dropped after the trial, so trials never see each other's orders, approvals or threads.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from errors import DatabaseError
from memory.db import Database

READY = "quantpilot eval template ready"
_clone_lock = threading.Lock()  # Postgres refuses to copy a template another session is copying from


def _admin(server: Database) -> Engine:
    return create_engine(server.url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=2)


def _database(server: Database, name: str, pool_size: int = 3) -> Database:
    engine = create_engine(server.engine.url.set(database=name), pool_pre_ping=False, pool_size=pool_size,
                           max_overflow=2)
    return Database(engine, sessionmaker(engine, expire_on_commit=False), server.origin)


def template_name(symbols: Sequence[str]) -> str:
    """Template database name for a data set: the migration heads and the symbols decide it."""
    from memory.migrate import head_revision

    key = f"{head_revision()}|{','.join(sorted(set(symbols)))}"
    return f"qp_eval_tpl_{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _is_ready(admin: Engine, name: str) -> bool:
    with admin.connect() as conn:
        comment = conn.execute(text("select shobj_description(oid, 'pg_database') from pg_database "
                                    "where datname = :n"), {"n": name}).scalar()
    return comment == READY


def ensure_template(server: Database, symbols: Sequence[str]) -> str:
    """The name of a ready template database holding ``symbols`` (built now unless one exists)."""
    admin = _admin(server)
    name = template_name(symbols)
    try:
        if _is_ready(admin, name):
            return name
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}"'))
            try:
                conn.execute(text(f'create database "{name}"'))
            except Exception as exc:  # noqa: BLE001 - any refusal here means: this server cannot host evals
                raise DatabaseError(f"cannot create the eval template database {name}: {exc}",
                                    code="eval_template_failed") from exc
        template = _database(server, name)
        try:
            _fill_template(template, symbols)
        finally:
            template.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"comment on database \"{name}\" is '{READY}'"))
        return name
    finally:
        admin.dispose()


def _fill_template(template: Database, symbols: Sequence[str]) -> None:
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    from guardrails.policy import Actor
    from memory.migrate import upgrade
    from memory.server import libpq_url
    from services.market_data import MarketDataService

    upgrade(template)
    if symbols:
        MarketDataService(template, actor=Actor.system("evaluation")).load("bundled", sorted(set(symbols)))
    with psycopg.connect(libpq_url(template.url), autocommit=True, prepare_threshold=0,
                         row_factory=dict_row) as conn:
        PostgresSaver(conn).setup()


@dataclass(frozen=True)
class TrialDatabase:
    """A trial's own database and a checkpointer on it."""

    database: Database
    checkpointer: object  # langgraph PostgresSaver
    name: str


@contextmanager
def trial_database(server: Database, template: str) -> Iterator[TrialDatabase]:
    """A fresh database cloned from ``template``, dropped (connections closed) when the trial ends."""
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    from memory.server import libpq_url

    name = f"qp_eval_{uuid.uuid4().hex[:12]}"
    admin = _admin(server)
    try:
        with _clone_lock, admin.connect() as conn:
            conn.execute(text(f'create database "{name}" template "{template}" strategy wal_log'))
        database = _database(server, name)
        conn = psycopg.connect(libpq_url(database.url), autocommit=True, prepare_threshold=0, row_factory=dict_row)
        try:
            yield TrialDatabase(database, PostgresSaver(conn), name)
        finally:
            conn.close()
            database.engine.dispose()
            with admin.connect() as c:
                c.execute(text(f'drop database if exists "{name}" with (force)'))
    finally:
        admin.dispose()
