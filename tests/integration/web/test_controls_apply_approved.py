"""The Controls page applies what an approver approved, through the CLI's and the API's service calls: a breaker reset
makes the account ACTIVE again, an approved release turns the kill switch off; an unapproved request, a malformed
id, a viewer or a missing CSRF token changes nothing."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import text

from memory.approvals import ApprovalStore
from memory.trading_state import TradingStateStore
from services.approvals import ApprovalService
from tests.integration.api.conftest import auth
from tests.integration.execution.conftest import bars, count, paper_strategy  # noqa: F401
from tests.integration.web.conftest import log_in
from tests.support.people import ALICE

HTMX = {"HX-Request": "true"}
APPROVAL = re.compile(r"approval (apr_[A-Za-z0-9_-]+)")


def _state(database, account: str = "paper") -> str:
    from config import Settings
    from services.execution_path import execution_service

    service = execution_service(database, Settings(), account=account)
    return service.trading_state(service.book()).status.value


def _halt(database, account: str = "paper") -> None:
    """The account's equity falls 20 % below its high-water mark; its drawdown breaker halts it."""
    from config import Settings
    from services.execution_path import execution_service

    execution_service(database, Settings(), account=account).book()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE paper_accounts SET cash_usd = 80000 WHERE account_id = :a"), {"a": account})
    assert _state(database, account) == "halted"


def _asked_reset(client, csrf: str, account: str = "paper") -> tuple[str, str]:
    asked = client.post("/web/controls/breaker-reset-request",
                        data={"csrf_token": csrf, "reason": "reviewed", "account": account}, headers=HTMX)
    assert asked.status_code == 200, asked.text
    return APPROVAL.search(asked.text).group(1), html.unescape(asked.text)


def test_an_approved_breaker_reset_applied_from_the_page_makes_the_account_active(client, keys, database, bars,  # noqa: F811
                                                                                 paper_strategy):  # noqa: F811
    _halt(database)
    csrf = log_in(client, keys["trader"])
    page = client.get("/web/controls")
    approval_id, notice = _asked_reset(client, csrf)
    ApprovalService(ApprovalStore(database)).approve(ALICE, approval_id)

    applied = client.post("/web/controls/breaker-reset",
                          data={"csrf_token": csrf, "approval_id": approval_id, "account": "paper"}, headers=HTMX)
    after = client.get("/web/controls")

    assert 'action="/web/controls/breaker-reset"' in page.text and 'name="approval_id"' in page.text
    assert "To lift it: ask for a breaker reset below; once another approver approves it, apply it below" in page.text
    assert f"apply it here with “Apply approved reset” and approval {approval_id}" in notice
    assert applied.status_code == 200, applied.text
    assert f"breaker baseline of account paper reset with approval {approval_id}: trading active" in applied.text
    assert _state(database) == "active"
    assert 'data-testid="trading-state">ACTIVE' in after.text
    assert count(database, "audit_log",
                 "action = 'trading.breaker_reset' AND actor = 'trader' AND channel = 'web'") == 1


def test_a_reset_of_another_account_applies_to_the_account_its_approval_names(client, keys, database, bars,  # noqa: F811
                                                                             paper_strategy):  # noqa: F811
    _halt(database, "swing")
    csrf = log_in(client, keys["trader"])
    approval_id, _ = _asked_reset(client, csrf, "swing")
    ApprovalService(ApprovalStore(database)).approve(ALICE, approval_id)

    applied = client.post("/web/controls/breaker-reset",
                          data={"csrf_token": csrf, "approval_id": approval_id, "account": "swing"},
                          follow_redirects=False)

    assert applied.status_code == 303 and applied.headers["location"] == "/web/controls?account=swing"
    assert _state(database, "swing") == "active"


def test_an_unapproved_breaker_reset_is_refused_and_the_account_stays_halted(client, keys, database, bars,  # noqa: F811
                                                                            paper_strategy):  # noqa: F811
    _halt(database)
    csrf = log_in(client, keys["trader"])
    approval_id, _ = _asked_reset(client, csrf)

    refused = client.post("/web/controls/breaker-reset", data={"csrf_token": csrf, "approval_id": approval_id},
                          headers=HTMX)

    assert refused.status_code == 409
    assert f"approval {approval_id} is pending, not approved" in html.unescape(refused.text)
    assert _state(database) == "halted"
    assert count(database, "audit_log", "action = 'trading.breaker_reset'") == 0


@pytest.mark.parametrize(("form", "status", "words"), [
    ({}, 400, "give the approval id (apr_…) of the approved request"),
    ({"approval_id": "42; drop"}, 400, "approval '42; drop' is not an approval id"),
    ({"approval_id": "apr_doesnotexist"}, 404, "apr_doesnotexist"),
    ({"approval_id": "apr_x", "account": "Not One"}, 400, "'Not One' is not a valid account id"),
])
def test_a_bad_approval_id_or_account_is_refused_by_name(client, keys, database, bars, paper_strategy, form,  # noqa: F811
                                                         status, words):
    _halt(database)
    csrf = log_in(client, keys["trader"])

    refused = client.post("/web/controls/breaker-reset", data={"csrf_token": csrf, **form}, headers=HTMX)

    assert refused.status_code == status, refused.text
    assert words in html.unescape(refused.text)
    assert _state(database) == "halted"


def test_a_viewer_may_not_apply_a_reset_and_a_missing_csrf_token_is_refused(client, keys, database, bars,  # noqa: F811
                                                                           paper_strategy):  # noqa: F811
    _halt(database)
    csrf = log_in(client, keys["trader"])
    approval_id, _ = _asked_reset(client, csrf)
    ApprovalService(ApprovalStore(database)).approve(ALICE, approval_id)
    no_csrf = client.post("/web/controls/breaker-reset", data={"approval_id": approval_id})
    client.post("/web/logout", data={"csrf_token": csrf})
    viewer = log_in(client, keys["viewer"])

    refused = client.post("/web/controls/breaker-reset", data={"csrf_token": viewer, "approval_id": approval_id})
    api = client.post("/api/v1/risk/breaker/reset", json={"approval_id": approval_id}, headers=auth(keys["viewer"]))

    assert no_csrf.status_code == 403 and "CSRF check failed" in no_csrf.text
    assert refused.status_code == api.status_code == 403
    assert api.json()["error"]["message"] in html.unescape(refused.text)
    assert _state(database) == "halted"


def test_an_approved_release_turns_the_kill_switch_off_from_the_page(client, keys, database):
    csrf = log_in(client, keys["trader"])
    client.post("/web/controls/kill-switch", data={"csrf_token": csrf, "reason": "drill"}, headers=HTMX)
    page = client.get("/web/controls")
    asked = client.post("/web/controls/resume-request", data={"csrf_token": csrf, "reason": "drill over"},
                        headers=HTMX)
    approval_id = APPROVAL.search(asked.text).group(1)
    too_early = client.post("/web/controls/resume", data={"csrf_token": csrf, "approval_id": approval_id},
                            headers=HTMX)
    ApprovalService(ApprovalStore(database)).approve(ALICE, approval_id)

    released = client.post("/web/controls/resume", data={"csrf_token": csrf, "approval_id": approval_id},
                           headers=HTMX)

    assert 'action="/web/controls/resume"' in page.text
    assert f"“Apply approved resume” and approval {approval_id}" in html.unescape(asked.text)
    assert too_early.status_code == 409
    assert released.status_code == 200, released.text
    assert f"kill switch off with approval {approval_id}: trading is active" in released.text
    assert TradingStateStore(database).current().status.value == "active"
