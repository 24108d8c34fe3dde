"""Alembic migrations, run programmatically (``quantpilot db upgrade`` and on first use)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_KEY = 7_104_202_611  # advisory lock id: one migrator at a time across processes


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The head revision(s) of the migration tree, comma-joined (branches per concept are allowed)."""
    return ",".join(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def current_revision(database) -> str:
    with database.engine.connect() as conn:
        return ",".join(sorted(MigrationContext.configure(conn).get_current_heads()))


def upgrade(database, revision: str = "heads") -> str:
    """Bring the schema to ``revision``; returns the revision(s) now current. Safe to run concurrently."""
    if revision == "heads" and current_revision(database) == head_revision():
        return head_revision()
    config = alembic_config()
    with database.engine.begin() as conn:
        conn.execute(text("select pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return current_revision(database)
