"""Whoever asks for an approval never decides it — on any channel, for any kind — and a decision names a real,
stored person: never a free-text name, a trader, or someone who does not exist."""

from __future__ import annotations

import json

import pytest

from guardrails.policy import Channel, Role
from memory.approvals import ApprovalStore
from services.users import actor_of
from tests.integration.api.conftest import auth
from tests.integration.cli_runner import run_cli
from tests.integration.identity.interfaces import World
from tests.integration.slack.conftest import action_form, post_signed
from tests.integration.web.conftest import log_in


def _resume_request_by(world: World, role: Role) -> str:
    """The person of ``role`` halts trading and asks to resume: a kill-switch release request of theirs."""
    from services.execution_path import execution_service

    person = actor_of(world.user(role), Channel.CLI)
    service = execution_service(world.database)
    service.kill_switch_on(person, reason="incident")
    return service.request_resume(person, reason="fixed")


def _decision(world: World, approval_id: str):
    return ApprovalStore(world.database).get(approval_id).decision


def _through_api(world, approval_id):
    answer = world.client.post(f"/api/v1/approvals/{approval_id}/approve",
                               headers=auth(world.keys[Role.APPROVER].api_key))
    return answer.status_code, answer.json()["error"]["code"]


def _through_web(world, approval_id):
    from fastapi.testclient import TestClient

    with TestClient(world.app, raise_server_exceptions=False) as browser:
        csrf = log_in(browser, world.keys[Role.APPROVER].api_key)
        answer = browser.post(f"/web/approvals/{approval_id}/approve", data={"csrf_token": csrf})
    return answer.status_code, "segregation of duties" in answer.text


def _through_cli(world, approval_id):
    world.monkeypatch.setenv("QUANTPILOT_API_KEY", world.keys[Role.APPROVER].api_key)
    result = run_cli("approvals", "approve", approval_id, "--json")
    return result.exit_code, "segregation of duties" in result.stderr


def _through_slack(world, approval_id):
    answer = post_signed(world.client, action_form("qp_approve", approval_id, world.slack_ids[Role.APPROVER],
                                                   "1700000000.000002"))
    return answer.status_code, None


@pytest.mark.parametrize(("channel", "decide", "refused"), [
    ("api", _through_api, (403, "self_approval")),
    ("web", _through_web, (403, True)),
    ("cli", _through_cli, (2, True)),
    ("slack", _through_slack, (200, None)),
])
def test_an_approver_cannot_release_their_own_kill_switch_on_any_channel(world, channel, decide, refused):
    approval_id = _resume_request_by(world, Role.APPROVER)

    outcome = decide(world, approval_id)

    assert outcome == refused
    assert _decision(world, approval_id) is None
    assert ApprovalStore(world.database).get(approval_id).status == "pending"


def test_another_approver_may_release_it_and_the_decision_names_their_user_id(world):
    approval_id = _resume_request_by(world, Role.APPROVER)

    answer = world.client.post(f"/api/v1/approvals/{approval_id}/approve",
                               headers=auth(world.keys[Role.ADMIN].api_key))

    assert answer.status_code == 200, answer.text
    decision = _decision(world, approval_id)
    assert (decision.approver, decision.approver_id) == (world.user(Role.ADMIN).name, world.user(Role.ADMIN).id)


@pytest.mark.parametrize(("who", "message"), [
    ("nobody", "not valid"),  # a key that names no user
    ("trader", "needs the approver role"),
    ("requester", "segregation of duties"),
])
def test_approvals_approve_from_the_cli_refuses_a_stranger_a_trader_and_the_requester(world, who, message):
    approval_id = _resume_request_by(world, Role.TRADER)
    keys = {"nobody": "qp_000000000000_" + "x" * 43, "trader": world.keys[Role.TRADER].api_key}
    world.monkeypatch.setenv("QUANTPILOT_API_KEY", keys.get(who, world.keys[Role.TRADER].api_key))
    if who == "requester":  # the requester holds the approver role too: still not theirs to decide
        from memory.users import UserStore

        UserStore(world.database).set_role(world.user(Role.TRADER).name, Role.APPROVER)

    result = run_cli("approvals", "approve", approval_id, "--json")

    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert _decision(world, approval_id) is None


def test_the_cli_has_no_free_text_identity_anymore(world):
    approval_id = _resume_request_by(world, Role.TRADER)
    world.monkeypatch.setenv("QUANTPILOT_API_KEY", world.keys[Role.APPROVER].api_key)

    result = run_cli("approvals", "approve", approval_id, "--as", "somebody")

    assert result.exit_code == 2 and "--as is gone" in result.stderr
    assert _decision(world, approval_id) is None


def test_a_single_user_install_may_allow_self_approval_and_the_audit_log_says_so(world):
    from memory.approvals import ApprovalStore
    from memory.audit import AuditLog
    from services.approvals import ApprovalService

    approval_id = _resume_request_by(world, Role.APPROVER)
    me = actor_of(world.user(Role.APPROVER), Channel.CLI)

    ApprovalService(ApprovalStore(world.database), allow_self_approval=True).approve(me, approval_id)

    (row,) = AuditLog(world.database).recent(action="approval_decided")
    assert row.payload["self_approval_allowed_by_setting"] is True
    assert json.loads(json.dumps(row.payload))["approver_id"] == me.user_id
