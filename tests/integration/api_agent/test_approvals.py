"""Approvals through the API: requested in a turn, listed, decided by an approver, the thread resumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config import Settings
from guardrails.policy import Role
from memory.approvals import ApprovalStore
from memory.strategies import StrategyRegistry
from memory.threads import ThreadStore
from memory.users import UserStore
from services.research.service import ResearchService
from tests.support.people import SYSTEM


@pytest.fixture()
def backtest_run(loaded) -> int:
    return ResearchService(loaded, actor=SYSTEM).backtest("sma_crossover", ["AAPL"], {"fast": 5, "slow": 20},
                                            created_by="trader-user")["run_id"]


def test_an_approval_requested_in_a_turn_is_approved_through_the_api_and_the_strategy_moves_up(
        client, headers, backtest_run, loaded):
    turn = client.post("/api/v1/threads/thr_ladder_1/runs", json={"message": f"promote run {backtest_run} to "
                                                                             "backtested"},
                       headers=headers[Role.TRADER]).json()
    assert [c["name"] for c in turn["tool_calls"]] == ["request_promotion"]
    approval_id = turn["pending_approval"]["id"]
    assert turn["pending_approval"]["kind"] == "strategy"

    pending = client.get("/api/v1/approvals", params={"status": "pending"}, headers=headers[Role.VIEWER]).json()
    assert [a["id"] for a in pending["approvals"]] == [approval_id]
    (listed,) = pending["approvals"]
    trader = UserStore(loaded).get("trader-user")
    assert listed["requester"] == "trader-user"
    assert listed["thread_id"] == ThreadStore(loaded).find(trader.id, "thr_ladder_1").key  # the thread's own key
    strategy_id = listed["subject"]["strategy_id"]
    before = client.get(f"/api/v1/strategies/{strategy_id}", headers=headers[Role.VIEWER]).json()
    assert before["stage"] == "draft"
    waiting = client.get("/api/v1/threads/thr_ladder_1", headers=headers[Role.TRADER]).json()
    assert waiting["pending_approval"]["id"] == approval_id

    decided = client.post(f"/api/v1/approvals/{approval_id}/approve", json={"comment": "looks fine"},
                          headers=headers[Role.APPROVER])

    assert decided.status_code == 200, decided.text
    outcome = decided.json()
    assert outcome["approval"]["status"] == "applied"
    assert outcome["approval"]["decision"]["approver"] == "approver-user"
    assert outcome["approval"]["decision"]["channel"] == "api"
    assert outcome["turn"] is not None and outcome["turn"]["pending_approval"] is None
    after = client.get(f"/api/v1/strategies/{strategy_id}", headers=headers[Role.VIEWER]).json()
    assert after["stage"] == "backtested"
    assert after["transitions"][-1]["approval_id"] == approval_id
    resumed = client.get("/api/v1/threads/thr_ladder_1", headers=headers[Role.TRADER]).json()
    assert resumed["pending_approval"] is None


def test_a_thread_waiting_for_a_decision_answers_questions_and_refuses_changes_with_409_naming_the_approval(
        client, headers, backtest_run):
    trader = headers[Role.TRADER]
    turn = client.post("/api/v1/threads/thr_ladder_2/runs", json={"message": f"promote run {backtest_run} to "
                                                                             "backtested"}, headers=trader).json()
    approval_id = turn["pending_approval"]["id"]

    question = client.post("/api/v1/threads/thr_ladder_2/runs", json={"message": "what's my exposure?"},
                           headers=trader)
    change = client.post("/api/v1/threads/thr_ladder_2/runs", json={"message": "buy 5 shares of AAPL"},
                         headers=trader)

    assert question.status_code == 200, question.text
    assert question.json()["tool_calls"][0]["name"] == "compute_portfolio_exposure"
    assert question.json()["pending_approval"]["id"] == approval_id  # the thread still waits for its decision
    assert change.status_code == 409
    assert change.json()["error"]["code"] == "approval_pending"
    assert change.json()["error"]["details"]["approval_id"] == approval_id
    state = client.get("/api/v1/threads/thr_ladder_2", headers=trader).json()
    assert state["pending_approval"]["id"] == approval_id


def test_the_thread_interrupt_is_the_owners_own_request_so_only_a_single_user_install_decides_there(
        app, client, headers, backtest_run):
    turn = client.post("/api/v1/threads/thr_ladder_4/runs", json={"message": f"promote run {backtest_run} to "
                                                                             "backtested"},
                       headers=headers[Role.APPROVER]).json()

    own = client.post("/api/v1/threads/thr_ladder_4/interrupt", json={"verdict": "approve"},
                      headers=headers[Role.APPROVER])

    assert own.status_code == 403 and own.json()["error"]["code"] == "self_approval"
    stored = client.get(f"/api/v1/approvals/{turn['pending_approval']['id']}", headers=headers[Role.VIEWER]).json()
    assert stored["status"] == "pending" and stored["decision"] is None


def test_rejecting_through_the_thread_interrupt_needs_a_comment_and_leaves_the_stage(app, client, headers,
                                                                                      backtest_run):
    app.state.settings = Settings(allow_self_approval=True)  # a single-user install: the audit log notes it
    turn = client.post("/api/v1/threads/thr_ladder_3/runs", json={"message": f"promote run {backtest_run} to "
                                                                             "backtested"},
                       headers=headers[Role.APPROVER]).json()
    approval_id = turn["pending_approval"]["id"]

    bare = client.post("/api/v1/threads/thr_ladder_3/interrupt", json={"verdict": "reject"},
                       headers=headers[Role.APPROVER])
    rejected = client.post("/api/v1/threads/thr_ladder_3/interrupt",
                           json={"verdict": "reject", "comment": "too few trades"}, headers=headers[Role.APPROVER])

    assert bare.status_code == 409 and bare.json()["error"]["code"] == "comment_required"
    assert rejected.status_code == 200
    assert rejected.json()["approval"]["id"] == approval_id
    assert rejected.json()["turn"]["thread_id"] == "thr_ladder_3"
    assert rejected.json()["approval"]["status"] == "rejected"
    strategy_id = rejected.json()["approval"]["subject"]["strategy_id"]
    assert client.get(f"/api/v1/strategies/{strategy_id}", headers=headers[Role.VIEWER]).json()["stage"] == "draft"


def test_a_live_approval_cannot_be_decided_by_its_requester_but_by_another_approver(app, client, headers, loaded):
    # The product graph offers live only with paper-period evidence, which nothing records yet, so the
    # request is stored as the graph would store it; the API's part is passing the caller as approver.
    app.state.settings = Settings(live_trading=True)  # live approvals are decided only with live trading on
    registry = StrategyRegistry(loaded)
    record = registry.register("sma_aapl", "SMA cross AAPL", "sma_crossover", {"fast": 10, "slow": 50})
    now = datetime.now(UTC)
    ApprovalStore(loaded).save_request({
        "id": "apr_live_0001", "kind": "live", "requester": "approver-user", "channel": "api", "thread_id": None,
        "subject": {"strategy_id": "sma_aapl", "version": record.version, "params_hash": record.params_hash,
                    "from_stage": "paper", "to_stage": "live"},
        "evidence": {"paper_days": 30, "paper_return_pct": 2.5}, "summary": "promote to live",
        "created_at": now, "expires_at": now + timedelta(hours=24)})

    self_approved = client.post("/api/v1/approvals/apr_live_0001/approve", headers=headers[Role.APPROVER])
    stored = client.get("/api/v1/approvals/apr_live_0001", headers=headers[Role.VIEWER]).json()
    other = client.post("/api/v1/approvals/apr_live_0001/approve", headers=headers[Role.ADMIN])

    assert self_approved.status_code == 403
    assert self_approved.json()["error"]["code"] == "self_approval"
    assert stored["status"] == "pending" and stored["decision"] is None
    assert other.status_code == 200, other.text
    decision = other.json()["approval"]["decision"]
    assert (decision["verdict"], decision["approver"], decision["channel"]) == ("approved", "admin-user", "api")
