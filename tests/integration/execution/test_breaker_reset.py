"""The way out of a breaker halt: an approved reset of the account's breaker baseline — asked by one person, decided
by another, stored with its audit row in one transaction — and every place that reports the halt names it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from errors import ApprovalError, ConfigError, PermissionDenied
from memory.approvals import ApprovalStore
from quant.execution.orders import Order
from quant.risk.decision import RejectCode, TradingStatus
from services.approvals import ApprovalService
from tests.integration.cli_runner import run_cli
from tests.integration.execution.conftest import count, intent
from tests.support.people import ALICE, BOB, CAROL, DANA

RELEASE = "quantpilot risk reset-breaker request --account paper"


def _halt(database, service) -> None:
    """The account's equity falls 20 % below its high-water mark and the breaker sees it."""
    service.book()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE paper_accounts SET cash_usd = 80000 WHERE account_id = 'paper'"))
    assert service.trading_state(service.book()).status is TradingStatus.HALTED


def test_an_approved_reset_lifts_the_breaker_halt_and_the_breaker_does_not_trip_again(database, service, bars,
                                                                                      paper_strategy):
    _halt(database, service)
    approval_id = service.request_breaker_reset(DANA, reason="strategy reviewed")
    ApprovalService(ApprovalStore(database)).approve(ALICE, approval_id)

    state = service.reset_breaker(DANA, approval_id)
    book = service.book()

    assert state.status is TradingStatus.ACTIVE
    assert book.peak_equity_usd == book.equity_usd  # the equity now is the new high-water mark
    assert service.trading_state(service.book()).status is TradingStatus.ACTIVE
    assert isinstance(service.place(BOB, intent(qty=5)), Order)
    (reset,) = [r for r in service.breakers.transitions(5) if r.to_status == "active"]
    assert reset.approval_id == approval_id and "by alice" in reset.reason
    assert count(database, "audit_log", "action = 'trading.breaker_reset' AND actor = 'dana'") == 1


def test_whoever_asked_for_a_reset_may_not_decide_it(database, service, bars, paper_strategy):
    _halt(database, service)
    approval_id = service.request_breaker_reset(CAROL, reason="my call")

    with pytest.raises(PermissionDenied, match="segregation of duties"):
        ApprovalService(ApprovalStore(database)).approve(CAROL, approval_id)
    with pytest.raises(ApprovalError, match="not approved"):
        service.reset_breaker(CAROL, approval_id)

    assert service.trading_state().status is TradingStatus.HALTED


def test_a_reset_approved_for_an_earlier_halt_does_not_lift_a_later_one(database, service, bars, paper_strategy):
    _halt(database, service)
    first = service.request_breaker_reset(DANA, reason="first")
    ApprovalService(ApprovalStore(database)).approve(ALICE, first)
    service.reset_breaker(DANA, first)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE paper_accounts SET cash_usd = cash_usd * 0.8 WHERE account_id = 'paper'"))
    assert service.trading_state(service.book()).status is TradingStatus.HALTED

    with pytest.raises(ApprovalError, match="does not cover"):
        service.reset_breaker(DANA, first)


def test_asking_for_a_reset_of_an_account_that_is_not_halted_is_refused(database, service, bars, paper_strategy):
    with pytest.raises(ConfigError, match="not halted by a breaker; nothing to reset"):
        service.request_breaker_reset(DANA, reason="just in case")


def test_a_reset_whose_audit_row_cannot_be_written_is_not_stored_either(database, service, bars, paper_strategy):
    from tests.integration.identity.test_every_change_is_audited import _refusing_audit

    _halt(database, service)
    approval_id = service.request_breaker_reset(DANA, reason="reviewed")
    ApprovalService(ApprovalStore(database)).approve(ALICE, approval_id)
    peak_before = service.book().peak_equity_usd

    with _refusing_audit(database), pytest.raises(Exception, match="audit storage failed"):
        service.reset_breaker(DANA, approval_id)

    assert service.trading_state().status is TradingStatus.HALTED
    assert service.book().peak_equity_usd == peak_before


def test_every_report_of_a_breaker_halt_names_the_command_that_lifts_it(database, service, bars, paper_strategy,
                                                                       act_as):
    _halt(database, service)
    refused = service.place(BOB, intent(qty=5))
    act_as("trader")

    status = run_cli("risk", "status", "--account", "paper")
    status_json = json.loads(run_cli("risk", "status", "--json").stdout)
    request_off = run_cli("kill-switch", "request-off", "--reason", "back to work")

    assert RELEASE in refused.details[RejectCode.TRADING_HALTED]["message"]
    assert status.exit_code == 0 and "trading state: HALTED" in status.stdout
    assert "why: drawdown breaker: drawdown" in status.stdout and RELEASE in " ".join(status.stdout.split())
    assert (status_json["trading_state"], status_json["halted_by"]) == ("halted", "breaker")
    assert status_json["release"].startswith(RELEASE)
    assert request_off.exit_code == 2 and RELEASE in " ".join(request_off.stderr.split())


def test_the_cli_request_then_another_approvers_decision_then_apply_lifts_the_halt(database, service, bars,
                                                                                   paper_strategy, act_as):
    _halt(database, service)
    act_as("trader", name="dana")
    asked = json.loads(run_cli("risk", "reset-breaker", "request", "--reason", "reviewed", "--json").stdout)
    act_as("approver", name="avery")
    decided = run_cli("approvals", "approve", asked["approval_id"])
    act_as("trader", name="tim")
    applied = json.loads(run_cli("risk", "reset-breaker", "apply", "--approval", asked["approval_id"],
                                 "--json").stdout)

    assert asked["account_id"] == "paper" and decided.exit_code == 0, decided.stderr
    assert applied == {"account_id": "paper", "trading_state": "active", "reason": "", "release": ""}
    assert service.trading_state().status is TradingStatus.ACTIVE
