"""The invariant: no order reaches the paper broker unless risk passed it, a stored approval covers it and
trading is not halted; for live, live trading must be enabled. Every refusal leaves the book unchanged."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.integration.execution.conftest import count, digest, intent
from tests.support.people import BOB, CAROL


def test_order_of_a_paper_stage_strategy_fills_at_the_latest_close_plus_slippage(service, broker, bars,
                                                                                  paper_strategy):
    from quant.execution.orders import Order, OrderStatus

    order = service.place(BOB, intent(qty=10))

    assert isinstance(order, Order) and order.status is OrderStatus.FILLED
    close = Decimal(repr(float(bars[bars.symbol == "AAA"].close.iloc[-1])))
    expected_price = (close * Decimal("1.0005")).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    assert order.avg_fill_price == expected_price
    ledger = broker.ledger()
    assert ledger["cash_usd"] == Decimal(100_000) - 10 * expected_price - Decimal(1)
    assert [(p.symbol, p.qty) for p in broker.get_positions()] == [("AAA", Decimal(10))]


def test_order_is_refused_when_the_strategy_has_no_paper_approval(database, service, bars):
    from memory.strategies import StrategyRegistry
    from quant.execution.gate import Denied, DenyCode

    StrategyRegistry(database).register("draft1", "d", "sma_crossover", {})
    service.book()
    before = digest(database)

    outcome = service.place(BOB, intent(strategy_id="draft1"))

    assert isinstance(outcome, Denied) and outcome.code is DenyCode.APPROVAL_MISSING
    assert count(database, "paper_orders") == 0
    assert digest(database) == before
    assert count(database, "audit_log", "action = 'order.refused'") == 1
    assert count(database, "events", "kind = 'OrderRejected'") == 1


def test_order_is_refused_when_the_risk_policy_rejects_it(database, service, bars, paper_strategy):
    from quant.risk.decision import RejectCode, Rejected

    outcome = service.place(BOB, intent(qty=5_000))  # ~$500k notional on $100k equity

    assert isinstance(outcome, Rejected)
    assert RejectCode.NOTIONAL_CAP_EXCEEDED in outcome.codes
    assert count(database, "paper_orders") == 0 and count(database, "orders") == 0


@pytest.mark.parametrize("fields, bad_field", [
    ({"qty": "-5"}, "qty"),
    ({"qty": 0}, "qty"),
    ({"qty": 1, "order_type": "limit", "limit_price": "abc"}, "limit_price"),
    ({"qty": "ten"}, "qty"),
])
def test_bad_order_fields_are_rejected_naming_the_field_and_change_nothing(database, service, bars, paper_strategy,
                                                                           fields, bad_field):
    from quant.risk.decision import RejectCode, Rejected

    service.book()  # equity marks are written on every read; take them before the digest
    before = digest(database)

    outcome = service.place_fields(BOB, symbol="AAA", side="buy", strategy_id="trend", decision_key="k", **fields)

    assert isinstance(outcome, Rejected) and outcome.codes == (RejectCode.INVALID_ORDER,)
    assert outcome.details[RejectCode.INVALID_ORDER]["field"] == bad_field
    assert digest(database) == before


def test_unknown_symbol_is_rejected_and_changes_nothing(database, service, bars, paper_strategy):
    from quant.risk.decision import RejectCode, Rejected

    service.book()
    before = digest(database)

    outcome = service.place(BOB, intent(symbol="ZZZZ"))

    assert isinstance(outcome, Rejected) and outcome.codes == (RejectCode.UNKNOWN_SYMBOL,)
    assert digest(database) == before


def test_order_in_halted_state_is_refused_and_changes_nothing(database, service, bars, paper_strategy):
    from quant.risk.decision import RejectCode, Rejected

    service.kill_switch_on(CAROL, reason="test")
    service.book()
    before = digest(database)

    outcome = service.place(BOB, intent())

    assert isinstance(outcome, Rejected) and RejectCode.TRADING_HALTED in outcome.codes
    assert digest(database) == before
    assert count(database, "paper_orders") == 0


def test_live_broker_is_refused_when_live_trading_is_disabled(database, clock, settings):
    from errors import ApprovalError
    from quant.execution.broker import BrokerMode
    from quant.execution.simulated import SimulatedBroker
    from services.execution import ExecutionService

    live = SimulatedBroker({"AAA": 100}, mode=BrokerMode.LIVE)  # stands in for AlpacaBroker(live)

    with pytest.raises(ApprovalError, match="live trading is not enabled"):
        ExecutionService(database, live, settings=settings, clock=clock)


def test_live_order_needs_a_live_stage_approval_even_with_live_trading_enabled(database, clock, test_home, bars,
                                                                               paper_strategy):
    from config import Settings
    from quant.execution.broker import BrokerMode
    from quant.execution.gate import Denied, DenyCode
    from quant.execution.simulated import SimulatedBroker
    from services.execution import ExecutionService
    from tests.integration.execution.conftest import approve_stage

    live = SimulatedBroker({"AAA": 100, "BBB": 150}, mode=BrokerMode.LIVE, clock=clock)
    service = ExecutionService(database, live, settings=Settings(home=test_home, live_trading=True), clock=clock)

    refused = service.place(BOB, intent(qty=5))
    approve_stage(database, "trend", "live", approver="dave")
    placed = service.place(BOB, intent(qty=5, key="k2"))

    assert isinstance(refused, Denied) and refused.code is DenyCode.APPROVAL_DOES_NOT_COVER
    assert not isinstance(placed, Denied)
    assert live.placed_client_order_ids == [placed.client_order_id]


def test_single_order_approval_covers_exactly_that_order(database, service, bars, clock):
    from datetime import timedelta

    from memory.approvals import ApprovalStore
    from quant.execution.gate import Denied
    from quant.execution.orders import Order

    approved = intent(strategy_id="manual", key="one")
    store = ApprovalStore(database)
    store.save_request({"id": "apr_order1", "kind": "paper_order", "requester": "bob", "channel": "cli",
                        "thread_id": None, "subject": {"order_intent_hash": approved.client_order_id},
                        "evidence": {}, "summary": "", "created_at": clock.now,
                        "expires_at": clock.now + timedelta(days=1)})
    pending = service.place(BOB, approved)
    store.record_decision("apr_order1", "approved", "alice", "slack", None, clock.now)

    placed = service.place(BOB, approved)
    other = service.place(BOB, intent(strategy_id="manual", key="two"))

    assert isinstance(pending, Denied) and pending.code.value == "APPROVAL_NOT_GRANTED"
    assert isinstance(placed, Order) and placed.client_order_id == approved.client_order_id
    assert isinstance(other, Denied) and other.code.value == "APPROVAL_MISSING"
    assert count(database, "paper_orders") == 1


def test_a_live_order_approval_does_not_cover_an_order_on_the_paper_broker(database, service, bars, clock):
    from datetime import timedelta

    from memory.approvals import ApprovalStore
    from quant.execution.gate import Denied

    wanted = intent(strategy_id="manual", key="live-kind")
    store = ApprovalStore(database)
    store.save_request({"id": "apr_live1", "kind": "live_order", "requester": "bob", "channel": "cli",
                        "thread_id": None, "subject": {"order_intent_hash": wanted.client_order_id},
                        "evidence": {}, "summary": "", "created_at": clock.now,
                        "expires_at": clock.now + timedelta(days=1)})
    store.record_decision("apr_live1", "approved", "alice", "cli", None, clock.now)

    refused = service.place(BOB, wanted)

    assert isinstance(refused, Denied) and refused.code.value == "APPROVAL_MISSING"
    assert count(database, "paper_orders") == 0


def test_every_decision_writes_an_audit_row_and_the_chain_verifies(database, service, bars, paper_strategy):
    from memory.audit import AuditLog

    service.place(BOB, intent(qty=10))
    service.place(BOB, intent(qty=99_999, key="big"))

    actions = [e.action for e in AuditLog(database).recent(10)]
    assert "order.submitted" in actions and "order.refused" in actions
    assert AuditLog(database).verify().ok
