"""Start-up recovery (``graph.recovery.resume_unfinished_threads``) continues a thread whose process was
SIGKILLed mid-step, in a fresh process, to exactly one paper order; a thread waiting at an approval is left
for its human; a second recovery, or two recoveries at once, continue nothing more."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from tests.reliability.child_process import kill_child_at, run_child
from tests.reliability.paper_turn import count_rows, one_order_and_the_thread_finished


def _audited_continuations(database, thread_id: str) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'thread.continued' "
                                 "AND subject = :t"), {"t": thread_id}).scalar_one()


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before_submit", "after_submit"])
def test_thread_killed_mid_step_is_continued_by_startup_recovery_to_exactly_one_order(database, world, point):
    thread_id = f"thr_{uuid.uuid4().hex[:12]}"
    kill_child_at("turn", thread_id, "--hold", point, point=point, env=world)

    recovered = run_child("recover", thread_id, "--twice", env=world)

    first, second = recovered["rounds"]
    assert [r["thread_id"] for r in first] == [thread_id]
    assert first[0]["outcome"] == "completed" and first[0]["due_nodes"] and first[0]["next_nodes"] == []
    assert second == [], "a second recovery continues nothing"
    assert recovered["next"] == [] and recovered["waiting"] is None
    assert len(recovered["found_at_broker"]) == (1 if point == "after_submit" else 0)
    one_order_and_the_thread_finished(database, thread_id)
    assert _audited_continuations(database, thread_id) == 1


@pytest.mark.slow
def test_thread_waiting_for_an_approval_is_left_for_its_human(database, world):
    thread_id = f"thr_{uuid.uuid4().hex[:12]}"
    kill_child_at("turn", thread_id, "--hold", "interrupted", point="interrupted", env=world)

    recovered = run_child("recover", thread_id, env=world)

    assert recovered["rounds"] == [[]]
    assert recovered["waiting"] is not None, "still waiting for the approval"
    assert count_rows(database, "paper_orders") == 0
    assert count_rows(database, "approval_requests", "status = 'pending'") == 1
    assert _audited_continuations(database, thread_id) == 0


@pytest.mark.slow
def test_thread_locked_by_another_process_is_not_continued_twice(database, world):
    from graph.recovery import thread_lock

    thread_id = f"thr_{uuid.uuid4().hex[:12]}"
    kill_child_at("turn", thread_id, "--hold", "before_submit", point="before_submit", env=world)

    with thread_lock(database, thread_id) as held:  # another process is continuing this thread right now
        while_locked = run_child("recover", thread_id, env=world)
    after = run_child("recover", thread_id, env=world)

    assert held
    assert while_locked["rounds"] == [[]] and while_locked["next"] != []
    assert count_rows(database, "paper_orders") == 1
    assert [r["thread_id"] for r in after["rounds"][0]] == [thread_id]
    one_order_and_the_thread_finished(database, thread_id)


def test_threads_recover_cli_reports_nothing_to_do_as_json(no_checkpoints):
    import json

    from tests.integration.cli_runner import run_cli

    result = run_cli("threads", "recover", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == []
