"""SIGKILL a real quantpilot process at each step of a turn that ends in an approved paper order, and
of a backtest job; a fresh process then resumes from what Postgres holds: exactly one order, one fill,
the thread finished, no job lost or run twice."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.reliability.child_process import child_env, kill_child_at, run_child


def _count(database, table: str, where: str = "true", **params) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one()


@pytest.fixture()
def world(database):
    """Bars for AAA/BBB, strategy ``sma_aapl`` at stage backtested, the child env with a clock after the bars."""
    from memory.bars import BarStore
    from memory.ladder import StrategyRegistry
    from tests.integration.execution.conftest import synthetic_bars

    frame = synthetic_bars()
    BarStore(database).upsert(frame, source="test")
    registry = StrategyRegistry(database)
    registry.register("sma_aapl", "SMA cross", "sma_crossover", {"fast": 5, "slow": 20})
    registry.transition("sma_aapl", "backtested", actor="test-setup")
    clock = frame["ts"].max().to_pydatetime() + timedelta(hours=21)
    return child_env(QP_CLOCK=clock.isoformat())


def _one_order_and_the_thread_finished(database, thread_id: str) -> None:
    from memory.ladder import StrategyRegistry

    assert _count(database, "paper_orders") == 1, "exactly one order at the broker"
    assert _count(database, "orders") == 1, "exactly one order in our ledger"
    assert _count(database, "fills") == 1, "filled once"
    with database.engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM orders")).scalar_one()
    assert status == "filled"
    assert StrategyRegistry(database).get("sma_aapl").stage == "paper"
    assert _count(database, "approval_requests", "status = 'applied'") == 1


@pytest.mark.parametrize("point", ["interrupted", "before_submit", "after_submit"])
def test_killed_turn_resumes_after_restart_with_exactly_one_order(database, world, point):
    thread_id = f"thr_{uuid.uuid4().hex[:12]}"

    seen = kill_child_at("turn", thread_id, "--hold", point, point=point, env=world)
    orders_at_kill = _count(database, "paper_orders")
    restarted = run_child("restart", thread_id, env=world)
    again = run_child("restart", thread_id, env=world)  # a second restart changes nothing

    assert f"AT:{point}" in seen
    assert orders_at_kill == (1 if point == "after_submit" else 0)
    assert restarted["next"] == [] and again["next"] == []
    if point == "interrupted":
        assert restarted["resumed_from"] == "interrupt"
    if point == "after_submit":
        assert len(restarted["recover"]["found_at_broker"]) == 1
    assert again["recover"] == {k: [] for k in again["recover"]}
    _one_order_and_the_thread_finished(database, thread_id)


def test_backtest_job_killed_while_queued_runs_exactly_once_after_restart(database, world):
    kill_child_at("job", "--hold", "queued", point="queued", env=world)
    queued = _count(database, "research_runs", "status = 'queued'")

    restarted = run_child("job-restart", env=world)

    assert queued == 1
    assert restarted["claimed"] == restarted["recovered"] and len(restarted["claimed"]) == 1
    assert _count(database, "research_runs") == 1
    assert _count(database, "research_runs", "status = 'done'") == 1


def test_backtest_job_killed_while_running_is_not_lost_after_restart(database, world):
    kill_child_at("job", point=None, env=world,
                  until=lambda: _count(database, "research_runs", "status = 'running'") == 1)

    run_child("job-restart", env=world)

    assert _count(database, "research_runs") == 1
    assert _count(database, "research_runs", "status IN ('done', 'failed')") == 1
