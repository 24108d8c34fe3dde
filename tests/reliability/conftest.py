"""Fixtures of the reliability tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.reliability.child_process import child_env


@pytest.fixture()
def no_checkpoints(database):
    """The database with LangGraph's checkpoint tables emptied too (the ``database`` fixture empties only our
    own tables), so start-up recovery sees only the threads this test made."""
    from sqlalchemy import text

    with database.engine.begin() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                   "AND tablename LIKE 'checkpoint%' AND tablename <> 'checkpoint_migrations'"))
        names = ", ".join(f'"{row.tablename}"' for row in tables)
        if names:
            conn.execute(text(f"TRUNCATE {names}"))
    return database


@pytest.fixture()
def world(no_checkpoints):
    """Bars for AAA/BBB, strategy ``sma_aapl`` at stage backtested, the child env with a clock after the bars."""
    from memory.bars import BarStore
    from memory.strategies import StrategyRegistry
    from tests.integration.execution.conftest import synthetic_bars

    frame = synthetic_bars()
    BarStore(no_checkpoints).upsert(frame, source="test")
    registry = StrategyRegistry(no_checkpoints)
    registry.register("sma_aapl", "SMA cross", "sma_crossover", {"fast": 5, "slow": 20})
    registry.transition("sma_aapl", "backtested", actor="test-setup")
    clock = frame["ts"].max().to_pydatetime() + timedelta(hours=21)
    return child_env(QP_CLOCK=clock.isoformat())
