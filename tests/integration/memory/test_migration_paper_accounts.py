"""Migration 0030 on an install from before paper accounts: a breaker halt of the one book moves to the default
account ``paper`` (it is that book's), the kill switch becomes active; a kill-switch halt stays global. Each on a
database of its own on the test server, migrated to 0007 first."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

OLD_EVENTS = {
    "breaker": ("drawdown breaker: drawdown 15.91% >= limit 10.0%", "breaker"),
    "kill switch": ("kill switch: manual", "carol"),
}


@contextmanager
def _old_install(server, halted_by: str) -> Iterator[object]:
    """A database at revision 0007 holding one halted book, halted by ``halted_by``; dropped afterwards."""
    from alembic import command

    from memory.migrate import alembic_config

    name = f"qp_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(server.engine.url.set(database=name))
    try:
        reason, actor = OLD_EVENTS[halted_by]
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "0007")
            conn.execute(text("INSERT INTO trading_state (id, status, halt_id, flatten_client_order_ids, "
                              "peak_equity_usd, day_start_equity_usd, session) VALUES (1, 'halted', 'halt-old', "
                              "'[]', 100000, 86000, '2022-12-28')"))
            conn.execute(text("INSERT INTO trading_state_events (seq, from_status, to_status, reason, ts, actor, "
                              "channel) VALUES (1, 'active', 'halted', :r, now(), :a, 'system')"),
                         {"r": reason, "a": actor})
            command.upgrade(config, "0030")
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _states(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(text(
            "SELECT scope, status, halt_id, peak_equity_usd::int FROM trading_state ORDER BY scope"))}


@pytest.mark.slow
def test_a_breaker_halt_of_the_one_book_moves_to_the_default_account(_database_session):
    with _old_install(_database_session, "breaker") as engine:
        states = _states(engine)
        with engine.connect() as conn:
            moved = conn.execute(text("SELECT scope, to_status, actor FROM trading_state_events WHERE actor = "
                                      "'migration' ORDER BY scope")).all()

    assert states["global"][0] == "active"
    assert states["account:paper"] == ("halted", "halt-old", 100000)
    assert [tuple(r) for r in moved] == [("account:paper", "halted", "migration"), ("global", "active", "migration")]


@pytest.mark.slow
def test_a_kill_switch_halt_stays_global_and_the_default_account_keeps_the_equity_marks(_database_session):
    with _old_install(_database_session, "kill switch") as engine:
        states = _states(engine)

    assert states["global"][:2] == ("halted", "halt-old")
    assert states["account:paper"] == ("active", None, 100000)
