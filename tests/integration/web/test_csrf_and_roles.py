"""State-changing forms: refused without the session's CSRF token, and refused for roles below the API's."""

from __future__ import annotations

import pytest

from memory.approvals import ApprovalStore
from memory.strategies import StrategyRegistry
from memory.trading_state import TradingStateStore
from tests.integration.web.conftest import graphless_chat, log_in, pending_request


def test_approving_without_the_csrf_token_is_refused_and_records_nothing(client, keys, database):
    approval_id = pending_request(database)
    log_in(client, keys["approver"])

    answer = client.post(f"/web/approvals/{approval_id}/approve", data={"comment": "ok"})

    assert answer.status_code == 403 and "CSRF" in answer.text
    assert ApprovalStore(database).get(approval_id).decision is None


def test_a_csrf_token_of_another_session_is_refused(client, keys, database, app):
    from fastapi.testclient import TestClient

    approval_id = pending_request(database)
    with TestClient(app) as other:
        foreign = log_in(other, keys["admin"])
    log_in(client, keys["approver"])

    answer = client.post(f"/web/approvals/{approval_id}/approve", data={"csrf_token": foreign})

    assert answer.status_code == 403
    assert ApprovalStore(database).get(approval_id).status == "pending"


def test_the_csrf_token_is_accepted_from_the_htmx_header(client, keys, database):
    approval_id = pending_request(database)
    csrf = log_in(client, keys["approver"])

    answer = client.post(f"/web/approvals/{approval_id}/approve", headers={"X-CSRF-Token": csrf, "HX-Request": "true"})

    assert answer.status_code == 200 and f'id="approval-{approval_id}"' in answer.text
    assert ApprovalStore(database).get(approval_id).status == "approved"


@pytest.mark.parametrize("role", ["viewer", "trader"])
def test_roles_below_approver_cannot_approve(client, keys, database, role):
    approval_id = pending_request(database)
    csrf = log_in(client, keys[role])

    answer = client.post(f"/web/approvals/{approval_id}/approve", data={"csrf_token": csrf})

    assert answer.status_code == 403 and f"needs the approver role; {role} is a {role}" in answer.text
    assert ApprovalStore(database).get(approval_id).decision is None


def test_an_approver_approves_a_paper_promotion_through_the_web_channel(client, keys, database):
    approval_id = pending_request(database)
    csrf = log_in(client, keys["approver"])

    answer = client.post(f"/web/approvals/{approval_id}/approve", data={"csrf_token": csrf, "comment": "fine"},
                         follow_redirects=False)

    assert answer.status_code == 303 and answer.headers["location"] == "/web/approvals"
    decision = ApprovalStore(database).get(approval_id).decision
    assert (decision.verdict, decision.approver, decision.channel, decision.comment) == (
        "approved", "approver", "web", "fine")


def test_rejecting_needs_a_reason(client, keys, database):
    approval_id = pending_request(database)
    csrf = log_in(client, keys["approver"])

    answer = client.post(f"/web/approvals/{approval_id}/reject", data={"csrf_token": csrf})

    assert answer.status_code == 400
    assert ApprovalStore(database).get(approval_id).status == "pending"


def test_the_live_approval_needs_an_approver_other_than_the_requester(client, keys, database, app):
    app.state.web_chat = graphless_chat(database, live_trading_enabled=True)
    approval_id = pending_request(database, kind="live", requester="approver", to_stage="live")
    csrf = log_in(client, keys["approver"])

    refused = client.post(f"/web/approvals/{approval_id}/approve", data={"csrf_token": csrf})

    assert refused.status_code == 403 and "segregation of duties" in refused.text
    assert ApprovalStore(database).get(approval_id).decision is None
    client.post("/web/logout", data={"csrf_token": csrf})
    other = log_in(client, keys["admin"])
    assert client.post(f"/web/approvals/{approval_id}/approve", data={"csrf_token": other}).status_code in (200, 303)
    assert ApprovalStore(database).get(approval_id).decision.approver == "admin"
    assert StrategyRegistry(database).get("sma_web").stage == "paper"  # no thread to resume: recorded only


def test_the_kill_switch_needs_a_trader_and_halts_trading(client, keys, database):
    viewer = log_in(client, keys["viewer"])
    assert client.post("/web/controls/kill-switch", data={"csrf_token": viewer}).status_code == 403
    assert TradingStateStore(database).current().status.value == "active"
    client.post("/web/logout", data={"csrf_token": viewer})
    trader = log_in(client, keys["trader"])
    assert client.post("/web/controls/kill-switch", data={"csrf_token": trader, "flatten": "on"}).status_code == 403
    assert TradingStateStore(database).current().status.value == "active"  # flattening too is an approver's

    answer = client.post("/web/controls/kill-switch", data={"csrf_token": trader, "reason": "test halt"})

    assert answer.status_code in (200, 303)
    assert TradingStateStore(database).current().status.value == "halted"


def test_a_limit_change_is_only_proposed_and_waits_for_an_approval(client, keys, database):
    from memory.trading_state import RiskLimitStore

    csrf = log_in(client, keys["trader"])
    before = RiskLimitStore(database).current()

    answer = client.post("/web/controls/limits", data={"csrf_token": csrf, "limit": "max_open_positions",
                                                       "value": "6", "reason": "fewer names"},
                         headers={"HX-Request": "true"})

    assert answer.status_code == 200 and "waits on the Approvals page" in answer.text
    (pending,) = RiskLimitStore(database).pending()
    assert pending["requested_by"] == "trader"
    assert ApprovalStore(database).get(pending["approval_id"]).kind == "risk_limit"
    assert RiskLimitStore(database).current() == before
