"""An approval's bookkeeping is written once: the request with its audit row, and the decision's close with
its audit rows, each in one transaction; a re-run of a step (after a crash) writes nothing again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from langgraph.runtime import Runtime

from graph.approval_nodes import apply_approval
from graph.approval_resume import approval_service
from graph.runner import run_turn
from memory.audit import AuditLog
from tests.integration.graph.conftest import PAPER_EVIDENCE
from tests.integration.graph.test_approval_flow import USER, promotion_graph
from tests.support.people import BOB

NOW = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)


def _actions(log: AuditLog) -> list[str]:
    return [entry.action for entry in reversed(log.recent(100))]


def _request(approval_id: str) -> dict:
    return {"id": approval_id, "kind": "risk_limit", "subject": {"limit_change_id": "lc_1"}, "evidence": {},
            "summary": "raise it", "requester": "alice", "channel": "cli", "thread_id": None, "created_at": NOW,
            "expires_at": NOW + timedelta(hours=1)}


def test_re_running_the_apply_step_after_a_crash_audits_and_counts_the_decision_once(
        database, checkpointer, context, stores, strategy_at, thread_id):
    approvals, strategies, _ = stores
    log = AuditLog(database)
    ctx = replace(context, audit=log)
    strategy_at("backtested")
    graph = promotion_graph(checkpointer, "paper", PAPER_EVIDENCE)
    turn = run_turn(graph, thread_id, USER, "promote sma_aapl to paper trading", context=ctx)
    approval_service(ctx, graph).approve(BOB, turn.pending_approval["id"], "ok")
    before_apply = next(s for s in graph.get_state_history({"configurable": {"thread_id": thread_id}})
                        if s.next == ("apply_approval",))
    closed = approvals.get(turn.pending_approval["id"])

    again = apply_approval(before_apply.values, Runtime(context=ctx))  # the step as a restarted process re-runs it

    assert _actions(log).count("approval_requested") == 1
    assert _actions(log).count("approval_decided") == 1 and _actions(log).count("approval_closed") == 1
    assert _actions(log).count("stage_transition") == 1
    assert log.verify().ok
    assert approvals.get(turn.pending_approval["id"]) == closed, "the closed request is left as it was"
    assert strategies.get("sma_aapl").stage == "paper" and len(strategies.transitions("sma_aapl")) == 2
    assert again.goto == "strategy" and '"status": "approved"' in again.update["messages"][0].content


def test_a_request_is_stored_with_its_audit_row_or_not_at_all(database, stores):
    approvals, _, _ = stores
    log = AuditLog(database)

    def failing_audit(connection) -> None:
        log.append("alice", "cli", "approval_requested", "approval:apr_1", {}, connection=connection)
        raise RuntimeError("the audit write failed")

    with pytest.raises(RuntimeError):
        approvals.save_request(_request("apr_1"), then=failing_audit)
    assert approvals.list() == [] and log.recent() == []

    written: list[str] = []
    first = approvals.save_request(_request("apr_1"), then=lambda connection: written.append("audit"))
    second = approvals.save_request(_request("apr_1"), then=lambda connection: written.append("audit"))

    assert (first, second) == (True, False) and written == ["audit"]
    assert [record.status for record in approvals.list()] == ["pending"]


def test_a_request_is_closed_once_and_a_failed_close_leaves_it_open(database, stores):
    approvals, _, _ = stores
    approvals.save_request(_request("apr_2"))

    def failing(connection) -> None:
        raise RuntimeError("the audit write failed")

    with pytest.raises(RuntimeError):
        approvals.close("apr_2", "applied", {"status": "approved"}, NOW, then=failing)
    assert approvals.get("apr_2").closed_at is None and approvals.get("apr_2").status == "pending"

    first = approvals.close("apr_2", "applied", {"status": "approved"}, NOW)
    second = approvals.close("apr_2", "invalid", {"status": "approval_invalid"}, NOW + timedelta(minutes=1))

    assert (first, second) == (True, False)
    stored = approvals.get("apr_2")
    assert (stored.status, stored.outcome, stored.closed_at) == ("applied", {"status": "approved"}, NOW)
