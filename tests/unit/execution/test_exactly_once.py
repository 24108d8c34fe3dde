"""A crash at any step of a submission, then recovery: the broker holds exactly one order, never two."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from errors import PermanentBrokerError, TemporaryBrokerError
from quant.execution.exactly_once import (
    InMemoryOrderOutbox,
    OutboxStatus,
    recover,
    submit_exactly_once,
)
from quant.execution.orders import OrderIntent, OrderStatus
from quant.execution.simulated import SimulatedBroker
from tests.unit.execution.crash_doubles import Crash, CrashingOutbox

TS = datetime(2024, 1, 2, 15, 0, tzinfo=UTC)


def make_broker() -> SimulatedBroker:
    return SimulatedBroker({"AAPL": 100}, cash_usd=100_000, clock=lambda: TS)


def buy(qty: int = 10, key: str = "d1") -> OrderIntent:
    return OrderIntent(symbol="AAPL", side="buy", qty=qty, strategy_id="sma", decision_key=key)


def always(_intent) -> bool:
    return True


OUTBOX_CRASHES = [(m, after) for m in ("record_intent", "mark_submitted", "mark_result") for after in (False, True)]


@pytest.mark.parametrize(("method", "after_write"), OUTBOX_CRASHES,
                         ids=[f"{'after' if a else 'before'}-{m}" for m, a in OUTBOX_CRASHES])
def test_crash_at_any_outbox_step_then_recovery_and_retry_give_exactly_one_broker_order(method, after_write):
    broker, outbox, intent = make_broker(), CrashingOutbox(method, after_write=after_write), buy()
    with pytest.raises(Crash):
        submit_exactly_once(intent, outbox, broker)
    recover(outbox, broker, may_resubmit=always)
    submit_exactly_once(intent, outbox, broker)  # the caller's retry after restart is harmless too
    assert broker.placed_client_order_ids == [intent.client_order_id]
    assert broker.duplicate_attempts == 0
    assert outbox.get(intent.client_order_id).status is OutboxStatus.RESOLVED
    assert broker.position_qty("AAPL") == 10


def test_lost_response_after_broker_accepted_is_found_by_client_order_id_not_resent():
    broker, outbox, intent = make_broker(), InMemoryOrderOutbox(), buy()
    broker.fail_next("place_order", TemporaryBrokerError("timeout"), after_effect=True)
    order = submit_exactly_once(intent, outbox, broker)
    assert order.status is OrderStatus.FILLED
    assert broker.placed_client_order_ids == [intent.client_order_id]


def test_lost_response_and_failed_lookup_leave_the_entry_for_recovery_which_does_not_resend():
    broker, outbox, intent = make_broker(), InMemoryOrderOutbox(), buy()
    broker.fail_next("place_order", TemporaryBrokerError("timeout"), after_effect=True)
    broker.fail_next("get_order_by_client_id", TemporaryBrokerError("timeout"))
    with pytest.raises(TemporaryBrokerError):
        submit_exactly_once(intent, outbox, broker)
    assert outbox.get(intent.client_order_id).status is OutboxStatus.SUBMITTED
    report = recover(outbox, broker, may_resubmit=always)
    assert report.found_at_broker == (intent.client_order_id,) and report.resubmitted == ()
    assert broker.placed_client_order_ids == [intent.client_order_id]


def test_temporary_error_before_the_broker_saw_the_order_is_sent_once_on_retry():
    broker, outbox, intent = make_broker(), InMemoryOrderOutbox(), buy()
    broker.fail_next("place_order", TemporaryBrokerError("503"))
    with pytest.raises(TemporaryBrokerError):
        submit_exactly_once(intent, outbox, broker)
    assert broker.placed_client_order_ids == []
    submit_exactly_once(intent, outbox, broker)
    submit_exactly_once(intent, outbox, broker)
    assert broker.placed_client_order_ids == [intent.client_order_id]


def test_unsent_order_is_abandoned_by_default_after_a_crash_rather_than_sent_late():
    broker, outbox, intent = make_broker(), CrashingOutbox("mark_submitted", after_write=True), buy()
    with pytest.raises(Crash):
        submit_exactly_once(intent, outbox, broker)
    report = recover(outbox, broker)
    assert report.abandoned == (intent.client_order_id,)
    assert broker.placed_client_order_ids == []
    assert outbox.get(intent.client_order_id).status is OutboxStatus.ABANDONED


def test_permanent_refusal_is_recorded_as_rejected_and_never_retried():
    broker, outbox, intent = make_broker(), InMemoryOrderOutbox(), buy()
    broker.fail_next("place_order", PermanentBrokerError("insufficient buying power"))
    with pytest.raises(PermanentBrokerError):
        submit_exactly_once(intent, outbox, broker)
    assert submit_exactly_once(intent, outbox, broker).status is OrderStatus.REJECTED
    assert recover(outbox, broker, may_resubmit=always).resubmitted == ()
    assert broker.placed_client_order_ids == []


def test_recovery_refreshes_open_orders_so_fills_during_the_crash_are_seen():
    broker, outbox = make_broker(), InMemoryOrderOutbox()
    intent = OrderIntent(symbol="AAPL", side="buy", qty=5, strategy_id="sma", decision_key="d2",
                         order_type="limit", limit_price=Decimal("95"))
    assert submit_exactly_once(intent, outbox, broker).status is OrderStatus.ACCEPTED
    broker.set_price("AAPL", 94)  # fills while we are "down"
    report = recover(outbox, broker)
    assert report.refreshed == (intent.client_order_id,)
    assert outbox.get(intent.client_order_id).order.status is OrderStatus.FILLED
    assert outbox.unresolved() == ()


def test_reusing_a_client_order_id_for_a_different_intent_is_refused():
    outbox = InMemoryOrderOutbox()
    outbox.record_intent(buy())
    with pytest.raises(Exception, match="different intent"):
        outbox.record_intent(OrderIntent(symbol="AAPL", side="buy", qty=11, strategy_id="sma", decision_key="x",
                                         client_order_id=buy().client_order_id))
