"""Trading through the API: orders pass the execution path, the kill switch halts them, release needs an
approval; risk limits change only through an approved proposal; the audit chain verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from guardrails.policy import Role
from memory.approvals import ApprovalStore
from memory.strategies import StrategyRegistry

AFTER_LAST_BAR = datetime(2024, 3, 28, 21, 0, tzinfo=UTC)  # the synthetic bars end on 2024-03-28


@pytest.fixture()
def paper_strategy(app, loaded) -> str:
    """``sma_aapl`` at stage paper through a stored, approved paper request; the app's clock after the last bar."""
    app.state.clock = lambda: AFTER_LAST_BAR
    registry, store = StrategyRegistry(loaded), ApprovalStore(loaded)
    record = registry.register("sma_aapl", "SMA AAPL", "sma_crossover", {"fast": 5, "slow": 20})
    registry.transition("sma_aapl", "backtested", actor="test-setup")
    now = datetime.now(UTC)
    store.save_request({"id": "apr_paper_sma", "kind": "paper", "requester": "trader-user", "channel": "api",
                        "thread_id": None, "subject": {"strategy_id": "sma_aapl", "version": record.version,
                                                       "params_hash": record.params_hash,
                                                       "from_stage": "backtested", "to_stage": "paper"},
                        "evidence": {}, "summary": "", "created_at": now, "expires_at": now + timedelta(days=3)})
    store.record_decision("apr_paper_sma", "approved", "approver-user", "api", None, now)
    registry.transition("sma_aapl", "paper", actor="approver-user", approval_id="apr_paper_sma")
    return "sma_aapl"


def order(key: str, qty: str = "5") -> dict:
    return {"symbol": "AAPL", "side": "buy", "qty": qty, "strategy_id": "sma_aapl", "decision_key": key}


def test_an_order_is_refused_once_the_kill_switch_is_on_and_passes_again_after_an_approved_release(
        client, headers, paper_strategy):
    trader, approver = headers[Role.TRADER], headers[Role.APPROVER]
    placed = client.post("/api/v1/orders", json=order("before-halt"), headers=trader)
    assert placed.status_code == 201, placed.text
    assert placed.json()["requested_by"] == "trader-user"

    halted = client.post("/api/v1/risk/kill-switch", json={"reason": "broker outage"}, headers=trader)
    refused = client.post("/api/v1/orders", json=order("during-halt"), headers=trader)

    assert halted.status_code == 200 and halted.json()["trading_state"] == "halted"
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] in ("order_rejected", "order_denied")
    assert "TRADING_HALTED" in error["details"]["codes"]
    listed = client.get("/api/v1/orders", headers=headers[Role.VIEWER]).json()
    assert [o["client_order_id"] for o in listed["orders"]] == [placed.json()["client_order_id"]]
    assert client.get("/api/v1/risk/status", headers=headers[Role.VIEWER]).json()["trading_state"] == "halted"

    request = client.post("/api/v1/risk/kill-switch/release-request", json={"reason": "outage over"},
                          headers=trader).json()
    too_early = client.post("/api/v1/risk/kill-switch/release", json={"approval_id": request["approval_id"]},
                            headers=trader)
    assert too_early.status_code == 409
    assert client.post(f"/api/v1/approvals/{request['approval_id']}/approve", headers=approver).status_code == 200
    released = client.post("/api/v1/risk/kill-switch/release", json={"approval_id": request["approval_id"]},
                           headers=trader)
    after = client.post("/api/v1/orders", json=order("after-release"), headers=trader)

    assert released.status_code == 200 and released.json()["trading_state"] == "active"
    assert after.status_code == 201, after.text


def test_the_same_decision_key_never_places_twice(client, headers, paper_strategy):
    first = client.post("/api/v1/orders", json=order("once"), headers=headers[Role.TRADER])
    again = client.post("/api/v1/orders", json=order("once"), headers=headers[Role.TRADER])

    assert first.status_code == again.status_code == 201
    assert first.json()["client_order_id"] == again.json()["client_order_id"]
    assert client.get("/api/v1/orders", headers=headers[Role.VIEWER]).json()["count"] == 1


def test_an_order_without_an_approval_covering_its_strategy_is_denied(client, headers, paper_strategy):
    refused = client.post("/api/v1/orders", json={**order("manual"), "strategy_id": "manual"},
                          headers=headers[Role.TRADER])

    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["codes"] == ["APPROVAL_MISSING"]


def test_a_limit_change_applies_only_after_another_person_approves_it(client, headers, paper_strategy):
    trader = headers[Role.TRADER]
    before = client.get("/api/v1/risk/limits", headers=trader).json()["limits"]["daily_loss_limit_pct"]
    wanted = before / 2
    proposal = client.post("/api/v1/risk/proposals", json={"changes": {"daily_loss_limit_pct": wanted},
                                                           "reason": "tighter"}, headers=trader).json()

    early = client.post(f"/api/v1/risk/proposals/{proposal['proposal_id']}/apply", headers=trader)
    client.post(f"/api/v1/approvals/{proposal['approval_id']}/approve", headers=headers[Role.APPROVER])
    applied = client.post(f"/api/v1/risk/proposals/{proposal['proposal_id']}/apply", headers=trader)

    assert early.status_code == 409
    assert applied.status_code == 200, applied.text
    assert applied.json()["limits"]["daily_loss_limit_pct"] == wanted


def test_positions_summary_reconciliation_and_audit_reflect_a_fill(client, headers, paper_strategy):
    placed = client.post("/api/v1/orders", json=order("fill-me", "3"), headers=headers[Role.TRADER]).json()
    viewer = headers[Role.VIEWER]

    positions = client.get("/api/v1/positions", headers=viewer).json()
    summary = client.get("/api/v1/summary/daily", headers=viewer)
    reconciled = client.post("/api/v1/positions/reconcile", headers=headers[Role.TRADER]).json()
    verified = client.get("/api/v1/audit/verify", headers=headers[Role.ADMIN]).json()

    assert placed["status"] == "filled"
    assert [(p["symbol"], float(p["qty"])) for p in positions["positions"]] == [("AAPL", 3.0)]
    assert summary.status_code == 200 and "AAPL" in summary.json()["text"]
    assert reconciled["matched"] is True
    assert verified["ok"] is True and verified["rows_checked"] >= 2
