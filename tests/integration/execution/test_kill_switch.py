"""Kill switch from any channel: HALTED is persisted first, open orders are canceled, positions optionally
flattened; it survives a restart; leaving it needs an approved resume request for that very halt."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.execution.conftest import count, intent
from tests.support.people import ALICE, BOB, CAROL, via


def test_kill_switch_cancels_open_orders_flattens_and_halts(database, service, broker, bars, paper_strategy):
    from quant.execution.orders import OrderStatus
    from quant.risk.decision import TradingStatus

    service.place(BOB, intent(qty=20))
    last = broker.mark("AAA")
    resting = service.place(BOB, intent(qty=5, key="limit", order_type="limit", limit_price=(last * Decimal("0.97"))
                                   .quantize(Decimal("0.01"))))
    assert resting.status is OrderStatus.ACCEPTED

    report = service.kill_switch_on(via(CAROL, "slack"), reason="incident", flatten=True)

    assert report.state.status is TradingStatus.HALTED
    assert report.canceled == (resting.client_order_id,)
    assert service.orders.get(resting.client_order_id).order.status is OrderStatus.CANCELED
    assert [(c.symbol, c.status, c.refused) for c in report.closes] == [("AAA", "filled", False)]
    assert broker.get_positions() == ()
    assert count(database, "events", "kind = 'KillSwitchActivated'") == 1
    assert count(database, "audit_log", "action = 'trading.state' AND channel = 'slack'") == 1


def test_kill_switch_survives_a_restart(database, service, clock, settings, bars, paper_strategy):
    from memory.paper_broker import PaperBroker
    from quant.risk.decision import RejectCode, TradingStatus
    from services.execution import ExecutionService

    service.kill_switch_on(CAROL, reason="incident")

    fresh = ExecutionService(database, PaperBroker(database, clock=clock), settings=settings, clock=clock)
    outcome = fresh.place(BOB, intent())

    assert fresh.states.current().status is TradingStatus.HALTED
    assert RejectCode.TRADING_HALTED in outcome.codes
    assert count(database, "paper_orders") == 0


def test_resume_needs_an_approved_request_for_the_current_halt(database, service, bars, paper_strategy):
    from errors import ApprovalError
    from memory.approvals import ApprovalStore
    from quant.execution.orders import Order
    from quant.risk.decision import TradingStatus
    from services.approvals import ApprovalService

    service.kill_switch_on(CAROL, reason="incident")
    approval_id = service.request_resume(CAROL, reason="fixed")

    with pytest.raises(ApprovalError, match="not approved"):
        service.resume(CAROL, approval_id)
    ApprovalService(ApprovalStore(database)).approve(via(ALICE, "web"), approval_id)
    state = service.resume(via(ALICE, "web"), approval_id)

    assert state.status is TradingStatus.ACTIVE
    assert service.states.current().status is TradingStatus.ACTIVE
    assert service.states.transitions(1)[0].approval_id == approval_id
    assert isinstance(service.place(BOB, intent()), Order)


def test_an_old_resume_approval_does_not_lift_a_new_halt(database, service, bars, paper_strategy):
    from errors import ApprovalError
    from memory.approvals import ApprovalStore
    from services.approvals import ApprovalService

    service.kill_switch_on(CAROL, reason="first")
    first = service.request_resume(CAROL, reason="ok")
    ApprovalService(ApprovalStore(database)).approve(ALICE, first)
    service.resume(ALICE, first)
    service.kill_switch_on(CAROL, reason="second")

    with pytest.raises(ApprovalError, match="does not cover"):
        service.resume(ALICE, first)


def test_drawdown_breaker_halts_only_its_account_and_is_recorded(database, service, broker, clock, bars,
                                                                 paper_strategy):
    from sqlalchemy import text

    from quant.risk.decision import RejectCode, TradingStatus

    service.book()
    with database.engine.begin() as conn:  # the account lost 20% since its peak
        conn.execute(text("UPDATE paper_accounts SET cash_usd = 80000"))

    outcome = service.place(BOB, intent())

    assert service.breakers.current().status is TradingStatus.HALTED
    assert service.states.current().status is TradingStatus.ACTIVE  # the kill switch is not the breaker
    assert RejectCode.TRADING_HALTED in outcome.codes
    assert "quantpilot risk reset-breaker request --account paper" in outcome.details["TRADING_HALTED"]["message"]
    assert count(database, "trading_state_events", "to_status = 'halted' AND scope = 'account:paper'") == 1
