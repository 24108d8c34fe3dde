"""Exactly once with the Postgres outbox: a crash at every step, then a restart (new objects on the same
database) and ``recover``, leaves exactly one broker order; retrying the same intent returns that order."""

from __future__ import annotations

import pytest

from tests.integration.execution.conftest import count, intent
from tests.support.people import BOB, CAROL


class SimulatedCrash(Exception):
    """The process dies here (nothing below catches it)."""


class CrashingOutbox:
    """The Postgres outbox, dying right before (``before:<step>``) or after (``after:<step>``) one step."""

    def __init__(self, inner, crash_at: str) -> None:
        self._inner, self._crash_at = inner, crash_at

    def __getattr__(self, name):
        method = getattr(self._inner, name)

        def call(*args, **kwargs):
            if self._crash_at == f"before:{name}":
                raise SimulatedCrash(self._crash_at)
            result = method(*args, **kwargs)
            if self._crash_at == f"after:{name}":
                raise SimulatedCrash(self._crash_at)
            return result
        return call


def crashing_service(database, broker, clock, settings, crash_at):
    from memory.outbox import PostgresOrderOutbox
    from services.execution import ExecutionService

    return ExecutionService(database, broker, settings=settings, clock=clock, channel="cli",
                            outbox_factory=lambda **kw: CrashingOutbox(PostgresOrderOutbox(database, **kw), crash_at))


def restarted(database, clock, settings):
    """A fresh broker and service on the same database: nothing survives but Postgres."""
    from memory.paper_broker import PaperBroker
    from services.execution import ExecutionService

    broker = PaperBroker(database, clock=clock, slippage_bps=5, commission_usd=1)
    return ExecutionService(database, broker, settings=settings, clock=clock, channel="cli"), broker


@pytest.mark.parametrize("crash_at, recovered_as", [
    ("before:record_intent", None),
    ("after:record_intent", "resubmitted"),
    ("after:mark_submitted", "resubmitted"),
    ("before:mark_result", "found_at_broker"),
])
def test_crash_at_each_outbox_step_then_recover_leaves_exactly_one_broker_order(
        database, broker, clock, settings, bars, paper_strategy, crash_at, recovered_as):
    from quant.execution.orders import Order, OrderStatus

    order_intent = intent(qty=7)
    with pytest.raises(SimulatedCrash):
        crashing_service(database, broker, clock, settings, crash_at).place(BOB, order_intent)

    service, _ = restarted(database, clock, settings)
    report = service.recover()
    retried = service.place(BOB, order_intent)
    again = service.place(BOB, order_intent)

    cid = order_intent.client_order_id
    if recovered_as is not None:
        assert cid in getattr(report, recovered_as)
    assert isinstance(retried, Order) and retried.status is OrderStatus.FILLED
    assert again == retried
    assert count(database, "paper_orders", "client_order_id = :c", c=cid) == 1
    assert count(database, "fills", "client_order_id = :c", c=cid) == 1


def test_lost_broker_response_is_found_by_client_order_id_without_a_second_order(database, service, broker, bars,
                                                                                  paper_strategy):
    from errors import TemporaryBrokerError
    from quant.execution.orders import Order

    broker.fail_next("place_order", TemporaryBrokerError("timeout"), after_effect=True)

    order = service.place(BOB, intent(qty=3))

    assert isinstance(order, Order) and order.filled_qty == 3
    assert count(database, "paper_orders") == 1


def test_crash_after_broker_accept_before_fill_record_fills_once_on_the_next_match(database, service, broker, clock,
                                                                                   settings, bars, paper_strategy):
    from quant.execution.orders import OrderStatus

    order_intent = intent(qty=4)
    broker.fail_next("fill", SimulatedCrash("before fill"))
    with pytest.raises(SimulatedCrash):
        service.place(BOB, order_intent)

    service2, broker2 = restarted(database, clock, settings)
    report = service2.recover()
    fills = broker2.match_open_orders()
    refreshed = service2.recover()

    cid = order_intent.client_order_id
    assert cid in report.found_at_broker
    assert [f.client_order_id for f in fills] == [cid]
    assert cid in refreshed.refreshed
    assert service2.orders.get(cid).order.status is OrderStatus.FILLED
    assert count(database, "paper_orders") == 1 and count(database, "fills") == 1


def test_broker_unreachable_then_retry_sends_once(database, service, broker, bars, paper_strategy):
    from errors import TemporaryBrokerError

    order_intent = intent(qty=2)
    broker.fail_next("place_order", TemporaryBrokerError("503"))
    with pytest.raises(TemporaryBrokerError):
        service.place(BOB, order_intent)

    order = service.place(BOB, order_intent)

    assert order.filled_qty == 2
    assert count(database, "paper_orders") == 1
    assert service.orders.get(order_intent.client_order_id).attempts == 2


def test_recovery_while_halted_abandons_an_unsent_intent(database, broker, clock, settings, bars, paper_strategy):
    order_intent = intent(qty=5)
    with pytest.raises(SimulatedCrash):
        crashing_service(database, broker, clock, settings, "after:record_intent").place(BOB, order_intent)
    service, _ = restarted(database, clock, settings)
    service.kill_switch_on(CAROL, reason="incident")

    report = service.recover()

    assert order_intent.client_order_id in report.abandoned
    assert count(database, "paper_orders") == 0


def test_same_intent_placed_twice_is_one_order(database, service, bars, paper_strategy):
    first = service.place(BOB, intent(qty=6))
    second = service.place(BOB, intent(qty=6))

    assert first == second
    assert count(database, "paper_orders") == 1 and count(database, "orders") == 1
