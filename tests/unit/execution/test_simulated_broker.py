"""The simulated broker fills like its docstring says: slippage against the trader, fees, limits, stops."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from quant.execution.orders import OrderIntent, OrderStatus
from quant.execution.simulated import SimulatedBroker

TS = datetime(2024, 1, 2, 15, 0, tzinfo=UTC)


def order(side="buy", qty=10, key="k", **kw) -> OrderIntent:
    return OrderIntent(symbol="MSFT", side=side, qty=qty, strategy_id="s", decision_key=key, **kw)


def test_market_buy_fills_at_last_plus_slippage_and_pays_commission():
    broker = SimulatedBroker({"MSFT": 200}, cash_usd=10_000, slippage_bps=10, commission_usd=1,
                             commission_bps=5, clock=lambda: TS)
    placed = broker.place_order(order())
    fill = broker.fills[0]
    assert placed.status is OrderStatus.FILLED
    assert fill.price == Decimal("200.2")  # 200 * (1 + 10/10000)
    assert fill.fee_usd == Decimal("2.00")  # 1 + 10*200.2*5/10000 = 2.001 -> cents
    assert broker.cash_usd == Decimal(10_000) - Decimal("2002") - Decimal("2.00")
    assert broker.position_qty("MSFT") == 10


def test_market_sell_fills_at_last_minus_slippage():
    broker = SimulatedBroker({"MSFT": 200}, slippage_bps=50, clock=lambda: TS)
    broker.place_order(order(side="sell"))
    assert broker.fills[0].price == Decimal("199")
    assert broker.position_qty("MSFT") == -10


def test_limit_buy_rests_until_price_reaches_limit_and_never_pays_more_than_limit():
    broker = SimulatedBroker({"MSFT": 200}, slippage_bps=100, clock=lambda: TS)
    placed = broker.place_order(order(order_type="limit", limit_price=195))
    assert placed.status is OrderStatus.ACCEPTED and broker.fills == []
    broker.set_price("MSFT", 194)
    assert broker.fills[0].price == Decimal("195")  # 194*1.01 = 195.94 capped at the limit


def test_stop_sell_triggers_only_when_price_falls_to_stop():
    broker = SimulatedBroker({"MSFT": 200}, clock=lambda: TS)
    broker.place_order(order(side="sell", order_type="stop", stop_price=190))
    broker.set_price("MSFT", 191)
    assert broker.fills == []
    broker.set_price("MSFT", 189)
    assert broker.fills[0].price == Decimal("189")


def test_partial_fills_slice_the_order_and_average_price_is_volume_weighted():
    broker = SimulatedBroker({"MSFT": 100}, partial_fill_fraction="0.5", clock=lambda: TS)
    intent = order(qty=10, order_type="limit", limit_price=100)
    assert broker.place_order(intent).status is OrderStatus.PARTIALLY_FILLED
    broker.set_price("MSFT", 98)
    done = broker.get_order_by_client_id(intent.client_order_id)
    assert done.status is OrderStatus.FILLED
    assert done.avg_fill_price == Decimal(99)  # (5*100 + 5*98)/10


def test_cancel_stops_a_resting_order_and_day_orders_expire_at_session_end():
    broker = SimulatedBroker({"MSFT": 100}, clock=lambda: TS)
    a = broker.place_order(order(key="a", order_type="limit", limit_price=90))
    b = broker.place_order(order(key="b", order_type="limit", limit_price=90))
    broker.cancel_order(a.broker_order_id)
    broker.expire_day_orders()
    broker.set_price("MSFT", 80)
    assert broker.get_order_by_client_id(a.client_order_id).status is OrderStatus.CANCELED
    assert broker.get_order_by_client_id(b.client_order_id).status is OrderStatus.EXPIRED
    assert broker.fills == []


def test_account_equity_marks_positions_at_last_price():
    broker = SimulatedBroker({"MSFT": 100}, cash_usd=1_000, clock=lambda: TS)
    broker.place_order(order(qty=3))
    broker.set_price("MSFT", 110)
    account = broker.get_account()
    assert account.cash_usd == Decimal(700) and account.equity_usd == Decimal(1030)
    assert broker.get_positions()[0].avg_entry_price == Decimal(100)
