"""Order values validate their fields; the OMS allows only the documented transitions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from errors import ConfigError
from quant.execution.oms import IllegalTransitionError, apply_fill, transition
from quant.execution.orders import Fill, InvalidOrderError, Order, OrderIntent, OrderStatus, Side

TS = datetime(2024, 1, 2, 15, 0, tzinfo=UTC)


def intent(**overrides) -> OrderIntent:
    fields = dict(symbol="AAPL", side="buy", qty=10, strategy_id="sma", decision_key="2024-01-02T15:00Z")
    fields.update(overrides)
    return OrderIntent(**fields)


def test_same_decision_yields_same_client_order_id_and_a_new_decision_a_new_one():
    assert intent().client_order_id == intent(qty=Decimal("10")).client_order_id
    assert intent().client_order_id != intent(decision_key="2024-01-03T15:00Z").client_order_id
    assert intent().client_order_id != intent(side="sell").client_order_id
    assert intent().client_order_id.startswith("qp-") and len(intent().client_order_id) == 35


@pytest.mark.parametrize(("overrides", "field"), [
    ({"qty": 0}, "qty"), ({"qty": -5}, "qty"), ({"qty": "ten"}, "qty"), ({"qty": float("nan")}, "qty"),
    ({"side": "hold"}, "side"), ({"symbol": ""}, "symbol"), ({"symbol": "bad symbol!"}, "symbol"),
    ({"order_type": "limit"}, "limit_price"), ({"order_type": "limit", "limit_price": "abc"}, "limit_price"),
    ({"order_type": "limit", "limit_price": -1}, "limit_price"), ({"order_type": "stop"}, "stop_price"),
    ({"limit_price": 10}, "limit_price"), ({"qty": True}, "qty"), ({"order_type": "iceberg"}, "order_type"),
])
def test_invalid_order_field_is_refused_naming_the_field(overrides, field):
    with pytest.raises(InvalidOrderError) as err:
        intent(**overrides)
    assert isinstance(err.value, ConfigError)
    assert err.value.details["field"] == field
    assert field in str(err.value)


def test_float_quantities_and_prices_become_exact_decimals():
    made = intent(qty=1.1, order_type="limit", limit_price=101.3)
    assert made.qty == Decimal("1.1") and made.limit_price == Decimal("101.3")
    assert made.side is Side.BUY and made.symbol == "AAPL"


def test_order_moves_through_the_happy_path_and_emits_one_event_per_change():
    order = Order(intent=intent())
    order, e1 = transition(order, OrderStatus.SUBMITTED, ts=TS, broker_order_id="b-1")
    order, e2 = transition(order, OrderStatus.ACCEPTED, ts=TS)
    fill1 = Fill(order.client_order_id, "AAPL", Side.BUY, 4, Decimal("100"), Decimal("1"), TS)
    fill2 = Fill(order.client_order_id, "AAPL", Side.BUY, 6, Decimal("110"), Decimal("1"), TS)
    order, e3 = apply_fill(order, fill1)
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.remaining_qty == 6
    order, e4 = apply_fill(order, fill2)
    assert order.status is OrderStatus.FILLED
    assert order.avg_fill_price == Decimal("106")  # (4*100 + 6*110) / 10
    assert [(e.from_status, e.to_status) for e in (e1, e2, e3, e4)] == [
        (OrderStatus.NEW, OrderStatus.SUBMITTED), (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED),
        (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED), (OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED)]
    assert e4.fill == fill2 and e1.broker_order_id == "b-1"


@pytest.mark.parametrize(("path", "illegal"), [
    ((), OrderStatus.ACCEPTED), ((OrderStatus.SUBMITTED, OrderStatus.CANCELED), OrderStatus.ACCEPTED),
    ((OrderStatus.REJECTED,), OrderStatus.SUBMITTED), ((OrderStatus.SUBMITTED, OrderStatus.EXPIRED),
                                                       OrderStatus.CANCELED),
])
def test_illegal_transition_raises_a_specific_error(path, illegal):
    order = Order(intent=intent())
    for status in path:
        order, _ = transition(order, status, ts=TS)
    with pytest.raises(IllegalTransitionError) as err:
        transition(order, illegal, ts=TS)
    assert err.value.details["to"] == illegal.value


def test_fill_on_a_new_order_and_overfill_are_refused():
    order = Order(intent=intent())
    fill = Fill(order.client_order_id, "AAPL", "buy", 10, 100, 0, TS)
    with pytest.raises(IllegalTransitionError):
        apply_fill(order, fill)
    order, _ = transition(order, OrderStatus.SUBMITTED, ts=TS)
    order, _ = apply_fill(order, fill)
    with pytest.raises(IllegalTransitionError):
        apply_fill(replace_status(order, OrderStatus.PARTIALLY_FILLED), fill)


def replace_status(order: Order, status: OrderStatus) -> Order:
    from dataclasses import replace
    return replace(order, status=status)
