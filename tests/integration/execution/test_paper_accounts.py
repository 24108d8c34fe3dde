"""Paper accounts are separate books: cash, positions, orders, the drawdown high-water mark and the breakers belong
to one account; only the kill switch is global (it halts every account and cancels every account's open orders)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from quant.execution.orders import Order, OrderStatus
from quant.risk.decision import RejectCode, TradingStatus
from tests.integration.execution.conftest import count, intent
from tests.support.people import BOB, CAROL


@pytest.fixture()
def other(service):
    """The same execution path in a second paper account, ``swing``."""
    return service.for_account("swing")


def _lose_a_fifth(database, service, account: str = "paper") -> None:
    """The account's equity falls 20 % below its high-water mark (its drawdown breaker trips at the next look)."""
    service.book()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE paper_accounts SET cash_usd = 80000 WHERE account_id = :a"), {"a": account})


def test_a_breaker_halts_only_the_account_whose_book_fell(database, service, other, bars, paper_strategy):
    other.book()
    _lose_a_fifth(database, service)

    refused = service.place(BOB, intent(qty=5))
    placed = other.place(BOB, intent(qty=5, key="swing-1"))

    assert RejectCode.TRADING_HALTED in refused.codes
    assert isinstance(placed, Order) and placed.status is OrderStatus.FILLED
    assert service.trading_state().status is TradingStatus.HALTED
    assert other.trading_state().status is TradingStatus.ACTIVE
    assert service.states.current().status is TradingStatus.ACTIVE  # the kill switch was never touched


def test_the_kill_switch_halts_every_account_and_cancels_every_accounts_open_orders(database, service, other, bars,
                                                                                  paper_strategy):
    limit = (other.broker.mark("AAA") * Decimal("0.97")).quantize(Decimal("0.01"))
    resting = other.place(BOB, intent(qty=5, key="swing-rest", order_type="limit", limit_price=limit))
    assert resting.status is OrderStatus.ACCEPTED

    report = service.kill_switch_on(CAROL, reason="incident")
    refused = other.place(BOB, intent(qty=5, key="swing-2"))

    assert report.canceled == (resting.client_order_id,)
    assert other.orders.get(resting.client_order_id).order.status is OrderStatus.CANCELED
    assert RejectCode.TRADING_HALTED in refused.codes
    message = refused.details[RejectCode.TRADING_HALTED]["message"]
    assert message.startswith("trading (every account: the kill switch) is halted: kill switch: incident")
    assert "quantpilot kill-switch request-off" in message


def test_accounts_keep_their_own_cash_positions_orders_and_high_water_marks(database, service, other, bars,
                                                                           paper_strategy):
    service.place(BOB, intent(qty=10, key="p-1"))
    other.place(BOB, intent(symbol="BBB", qty=3, key="s-1"))
    _lose_a_fifth(database, service)
    service.trading_state(service.book())

    assert {p.symbol: p.qty for p in service.broker.get_positions()} == {"AAA": 10}
    assert {p.symbol: p.qty for p in other.broker.get_positions()} == {"BBB": 3}
    assert [r.order.intent.symbol for r in service.orders_list(BOB)] == ["AAA"]
    assert [r.order.intent.symbol for r in other.orders_list(BOB)] == ["BBB"]
    assert service.reconcile(BOB).matched and other.reconcile(BOB).matched
    from guardrails.trading_state import drawdown_pct

    assert drawdown_pct(service.book()) > 19 and drawdown_pct(other.book()) < 1  # each its own high-water mark
    assert count(database, "trading_state", "scope = 'account:paper' AND status = 'halted'") == 1
    assert count(database, "trading_state", "scope = 'account:swing' AND status = 'active'") == 1


def test_a_client_order_id_of_another_account_is_refused_not_taken_for_a_replay(database, service, other, bars,
                                                                              paper_strategy):
    from errors import ConfigError

    service.place(BOB, intent(qty=5, key="same"))

    with pytest.raises(ConfigError, match="is an order of account paper, not swing"):
        other.place(BOB, intent(qty=5, key="same"))

    assert other.broker.get_positions() == ()
    assert count(database, "paper_orders", "account_id = 'swing'") == 0
