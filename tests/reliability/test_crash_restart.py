"""SIGKILL a real quantpilot process at each step of a turn that ends in an approved paper order, and
of a backtest job; a fresh process then resumes from what Postgres holds: exactly one order, one fill,
the thread finished, no job lost or run twice."""

from __future__ import annotations

import uuid

import pytest

from tests.reliability.child_process import kill_child_at, run_child
from tests.reliability.paper_turn import count_rows, one_order_and_the_thread_finished


@pytest.mark.parametrize("point", ["interrupted", "before_submit", "after_submit"])
def test_killed_turn_resumes_after_restart_with_exactly_one_order(database, world, point):
    thread_id = f"thr_{uuid.uuid4().hex[:12]}"

    seen = kill_child_at("turn", thread_id, "--hold", point, point=point, env=world)
    orders_at_kill = count_rows(database, "paper_orders")
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
    one_order_and_the_thread_finished(database, thread_id)


def test_backtest_job_killed_while_queued_runs_exactly_once_after_restart(database, world):
    kill_child_at("job", "--hold", "queued", point="queued", env=world)
    queued = count_rows(database, "research_runs", "status = 'queued'")

    restarted = run_child("job-restart", env=world)

    assert queued == 1
    assert restarted["claimed"] == restarted["recovered"] and len(restarted["claimed"]) == 1
    assert count_rows(database, "research_runs") == 1
    assert count_rows(database, "research_runs", "status = 'done'") == 1


def test_backtest_job_killed_while_running_is_not_lost_after_restart(database, world):
    kill_child_at("job", point=None, env=world,
                  until=lambda: count_rows(database, "research_runs", "status = 'running'") == 1)

    run_child("job-restart", env=world)

    assert count_rows(database, "research_runs") == 1
    assert count_rows(database, "research_runs", "status IN ('done', 'failed')") == 1
