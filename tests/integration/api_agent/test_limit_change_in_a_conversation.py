"""A risk-limit change asked for in a conversation is put in force when another person approves it, by the same
service the CLI and the API's proposals use, with its audit row; if the limits changed meanwhile, nothing is
applied and the request closes as invalid. (Before, the approval closed as "applied" and nothing changed.)"""

from __future__ import annotations

from guardrails.policy import Role
from guardrails.risk_policy import RiskLimits
from memory.audit import AuditLog
from memory.trading_state import RiskLimitStore


def ask(client, headers, thread: str, message: str) -> dict:
    turn = client.post(f"/api/v1/threads/{thread}/runs", json={"message": message}, headers=headers[Role.TRADER])
    assert turn.status_code == 200, turn.text
    return turn.json()


def limits(client, headers) -> dict:
    return client.get("/api/v1/risk/limits", headers=headers[Role.VIEWER]).json()["limits"]


def test_an_approved_change_from_the_chat_is_in_force_with_its_audit_row(client, headers, database):
    before = limits(client, headers)["max_open_positions"]
    turn = ask(client, headers, "thr_limits_1", f"set max_open_positions to {before + 2} because more names")
    pending = turn["pending_approval"]
    assert pending["kind"] == "risk_limit"
    assert limits(client, headers)["max_open_positions"] == before  # asking changes nothing
    listed = client.get("/api/v1/risk/limits", headers=headers[Role.VIEWER]).json()["pending"]
    assert [(p["approval_id"], p["changes"], p["requested_by"], p["in_conversation"]) for p in listed] == [
        (pending["id"], {"max_open_positions": {"from": before, "to": before + 2}}, "trader-user", True)]

    decided = client.post(f"/api/v1/approvals/{pending['id']}/approve", json={"comment": "fine"},
                          headers=headers[Role.APPROVER])

    assert decided.status_code == 200, decided.text
    outcome = decided.json()
    assert outcome["approval"]["status"] == "applied"
    assert limits(client, headers)["max_open_positions"] == before + 2
    assert f"max open positions {before} to {before + 2}" in outcome["turn"]["answer"]
    assert RiskLimitStore(database).current().max_open_positions == before + 2
    assert client.get("/api/v1/risk/limits", headers=headers[Role.VIEWER]).json()["pending"] == []
    (row,) = AuditLog(database).recent(action="limits_applied")
    assert (row.actor, row.subject) == ("approver-user", f"approval:{pending['id']}")
    assert row.payload["changes"] == {"max_open_positions": {"from": before, "to": before + 2}}
    assert row.payload["requested_by"] == "trader-user"


def test_a_change_approved_after_the_limits_moved_is_not_applied(client, headers, database):
    turn = ask(client, headers, "thr_limits_2", "set max_open_positions to 15 because more names")
    pending = turn["pending_approval"]
    store = RiskLimitStore(database)
    moved = RiskLimits(**{**store.current().model_dump(), "max_open_positions": 11})
    store.replace(store.current(), moved, "apr_elsewhere")  # another approved change lands first

    decided = client.post(f"/api/v1/approvals/{pending['id']}/approve", json={"comment": "fine"},
                          headers=headers[Role.APPROVER])

    assert decided.status_code == 200, decided.text
    assert decided.json()["approval"]["status"] == "invalid"
    assert limits(client, headers)["max_open_positions"] == 11
    assert "stale evidence" in decided.json()["turn"]["answer"]
    assert not AuditLog(database).recent(action="limits_applied")
