"""Fixtures for graph tests on the real embedded Postgres: stores, a settable clock, the checkpointer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from graph.context import GraphContext
from memory.approvals import ApprovalStore
from memory.strategies import StrategyRegistry
from memory.threads import ThreadStore

PAPER_EVIDENCE = {"oos_sharpe": 1.2, "trades": 40, "max_drawdown_pct": 12.0}
LIVE_EVIDENCE = {"paper_days": 30, "paper_return_pct": 2.5}


class SettableClock:
    """A test clock: ``now`` is whatever the test says; ``advance`` moves it."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture()
def clock() -> SettableClock:
    return SettableClock(datetime(2025, 3, 3, 15, 0, tzinfo=UTC))


@pytest.fixture()
def stores(database):
    return ApprovalStore(database), StrategyRegistry(database), ThreadStore(database)


@pytest.fixture()
def context(stores, clock) -> GraphContext:
    approvals, strategies, _ = stores
    return GraphContext(approvals=approvals, strategies=strategies, clock=clock, channel="cli",
                        approval_ttl=timedelta(hours=24))


@pytest.fixture()
def checkpointer(database):
    from memory.checkpoint import postgres_checkpointer

    return postgres_checkpointer(database)


@pytest.fixture()
def thread_id() -> str:
    return f"thr_{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def strategy_at(stores):
    """Register a strategy and put it at ``stage`` (transitions recorded as by a test actor)."""
    _, strategies, _ = stores

    def make(stage: str, strategy_id: str = "sma_aapl", params: dict | None = None):
        strategies.register(strategy_id, "SMA cross AAPL", "sma_cross", params or {"fast": 10, "slow": 50})
        for step in ("backtested", "paper", "live"):
            if strategies.get(strategy_id).stage == stage:
                break
            strategies.transition(strategy_id, step, actor="test-setup")
        return strategies.get(strategy_id)

    return make
