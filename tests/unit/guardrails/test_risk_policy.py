"""Each risk rule refuses with its code and the observed value, threshold and unit; limits stay in range."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from guardrails.risk_policy import (
    Approved,
    Book,
    MarketSnapshot,
    RejectCode,
    Rejected,
    RiskLimits,
    RiskPolicy,
    intent_or_rejection,
)
from guardrails.trading_state import TradingState
from quant.execution.orders import OrderIntent
from quant.risk.decision import TradingStatus

POLICY = RiskPolicy(RiskLimits())
MARKET = MarketSnapshot(last_price={"AAPL": 100, "MSFT": 200, "XOM": 50},
                        adv_shares={"AAPL": 1_000_000, "MSFT": 1_000_000, "XOM": 1_000},
                        stop_distance_usd={"AAPL": 2, "MSFT": 4, "XOM": 1})


def book(cash=100_000, positions=None, **kw) -> Book:
    return Book.marked(cash, positions or {}, MARKET.last_price, **kw)


def buy(symbol="AAPL", qty=10, side="buy", key="k", **kw) -> OrderIntent:
    return OrderIntent(symbol=symbol, side=side, qty=qty, strategy_id="s", decision_key=key, **kw)


def check(intent, the_book=None, state=TradingStatus.ACTIVE, market=MARKET, limits=None):
    policy = RiskPolicy(limits) if limits else POLICY
    return policy.check(intent, the_book or book(), market, state)


def test_small_order_within_every_limit_is_approved():
    decision = check(buy(qty=10))
    assert isinstance(decision, Approved) and decision.client_order_id == buy(qty=10).client_order_id


def test_order_is_refused_when_daily_loss_limit_is_hit():
    decision = check(buy(), book(day_start_equity_usd=103_000))  # (103000-100000)/103000 = 2.91% >= 2%
    assert isinstance(decision, Rejected) and RejectCode.DAILY_LOSS_LIMIT in decision.codes
    detail = decision.details[RejectCode.DAILY_LOSS_LIMIT]
    assert detail["observed"] == pytest.approx(3000 / 103000 * 100, abs=1e-4)
    assert detail["threshold"] == 2.0 and detail["unit"] == "pct_of_day_start_equity"
    assert decision.reason.endswith(".") and "DAILY_LOSS_LIMIT" in decision.reason


def test_order_is_refused_when_drawdown_exceeds_the_limit():
    decision = check(buy(), book(peak_equity_usd=120_000))  # 16.7% drawdown
    assert RejectCode.MAX_DRAWDOWN in decision.codes


def test_order_is_refused_when_risk_at_stop_exceeds_risk_per_trade():
    market = MarketSnapshot(last_price={"AAPL": 100}, stop_distance_usd={"AAPL": 10})
    decision = check(buy(qty=120), market=market)  # 120 shares * $10 stop = $1,200 = 1.2% of $100k > 1%
    assert decision.codes == (RejectCode.RISK_PER_TRADE_EXCEEDED,)
    assert decision.details[RejectCode.RISK_PER_TRADE_EXCEEDED]["observed"] == pytest.approx(1.2)


def test_order_is_refused_when_one_symbol_would_exceed_concentration():
    decision = check(buy(qty=200), book(positions={"AAPL": 100}, cash=90_000))  # 300*100/100k = 30% > 25%
    assert RejectCode.CONCENTRATION_EXCEEDED in decision.codes


def test_order_is_refused_when_capital_deployed_would_exceed_limit():
    held = {"AAPL": 240, "MSFT": 120, "XOM": 480}  # 24k + 24k + 24k = 72k deployed of 100k equity
    the_book = book(cash=100_000 - 72_000, positions=held)
    decision = check(buy(symbol="MSFT", qty=50), the_book)  # +10k -> 82% > 80%
    assert RejectCode.CAPITAL_DEPLOYED_EXCEEDED in decision.codes
    assert decision.details[RejectCode.CAPITAL_DEPLOYED_EXCEEDED]["observed"] == pytest.approx(82.0)


def test_order_is_refused_when_max_open_positions_is_reached():
    market = MarketSnapshot(last_price={f"S{i}": 10 for i in range(11)},
                            stop_distance_usd={f"S{i}": 0.1 for i in range(11)})
    the_book = Book.marked(100_000, {f"S{i}": 10 for i in range(10)}, market.last_price)
    decision = check(buy(symbol="S10", qty=1), the_book, market=market)
    assert decision.codes == (RejectCode.MAX_POSITIONS_REACHED,)


def test_order_is_refused_above_the_notional_cap_and_above_adv_participation():
    decision = check(buy(symbol="XOM", qty=1001), book(cash=10_000_000))
    assert RejectCode.LIQUIDITY_EXCEEDED in decision.codes  # 1001 of 1000 ADV = 100.1% > 5%
    assert check(buy(qty=501), book(cash=10_000_000)).codes == (RejectCode.NOTIONAL_CAP_EXCEEDED,)


def test_limit_price_far_from_last_is_refused_as_fat_finger():
    decision = check(buy(order_type="limit", limit_price=110))
    assert decision.codes == (RejectCode.FAT_FINGER,)
    assert decision.details[RejectCode.FAT_FINGER]["observed"] == pytest.approx(10.0)


def test_unknown_and_disallowed_symbols_are_refused():
    unpriced = check(buy(symbol="ZZZZ"))
    assert unpriced.codes == (RejectCode.UNKNOWN_SYMBOL,)
    assert "refused by UNKNOWN_SYMBOL: no price for ZZZZ at the decision time: no bar of it is stored" in \
        unpriced.reason
    limits = RiskLimits(allowed_symbols=frozenset({"MSFT"}))
    assert check(buy(), limits=limits).codes == (RejectCode.SYMBOL_NOT_ALLOWED,)


def test_order_in_halted_state_is_refused():
    refused = check(buy(), state=TradingStatus.HALTED)
    assert refused.codes == (RejectCode.TRADING_HALTED,)
    assert "refused by TRADING_HALTED: trading is halted" in refused.reason and "observed" not in refused.reason
    held = book(positions={"AAPL": 10}, cash=99_000)
    assert RejectCode.TRADING_HALTED in check(buy(side="sell"), held, state=TradingState(TradingStatus.HALTED)).codes


def test_a_price_older_than_the_limit_is_refused_as_stale_with_its_age_not_as_an_unknown_symbol():
    from datetime import UTC, datetime

    now = datetime(2026, 3, 2, tzinfo=UTC)
    stale = MarketSnapshot(last_price=MARKET.last_price, adv_shares=MARKET.adv_shares,
                           stop_distance_usd=MARKET.stop_distance_usd, as_of=now,
                           price_ts={"AAPL": datetime(2022, 12, 28, tzinfo=UTC), "MSFT": now})

    refused = check(buy(), market=stale)
    fresh = check(buy(symbol="MSFT", qty=5), market=stale)

    assert refused.codes == (RejectCode.STALE_PRICE,)
    detail = refused.details[RejectCode.STALE_PRICE]
    assert detail["observed"] == pytest.approx((now - datetime(2022, 12, 28, tzinfo=UTC)).days, abs=1e-3)
    assert (detail["threshold"], detail["unit"], detail["last_bar"][:10]) == (5.0, "days_old", "2022-12-28")
    assert "the last price of AAPL is from 2022-12-28, 1,160.0 days before the decision time" in refused.reason
    assert isinstance(fresh, Approved)


def test_a_halt_refusal_says_whose_halt_it_is_why_and_the_command_that_lifts_it():
    from dataclasses import replace
    from datetime import UTC, datetime

    from guardrails.trading_state import TradingStateEvent, account_scope

    why = TradingStateEvent(TradingStatus.ACTIVE, TradingStatus.HALTED, "drawdown breaker: drawdown 12.00% >= limit "
                            "10.0%", datetime(2022, 6, 13, tzinfo=UTC))
    halted = TradingState(TradingStatus.HALTED, halt_id="halt-1", events=(why,), scope=account_scope("demo"))
    lifted_by = "quantpilot risk reset-breaker request --account demo"

    refused = check(buy(), state=replace(halted, release=lifted_by))

    assert refused.codes == (RejectCode.TRADING_HALTED,)
    assert refused.details[RejectCode.TRADING_HALTED]["message"] == (
        f"account demo is halted: drawdown breaker: drawdown 12.00% >= limit 10.0%; to lift it: {lifted_by}")
    assert lifted_by in refused.reason


def test_reducing_state_allows_only_exposure_reducing_orders():
    held = book(positions={"AAPL": 50}, cash=95_000, day_start_equity_usd=103_000)
    assert isinstance(check(buy(side="sell", qty=20), held, state=TradingStatus.REDUCING), Approved)
    assert RejectCode.REDUCING_ONLY in check(buy(qty=1), held, state=TradingStatus.REDUCING).codes
    crossing = check(buy(side="sell", qty=60), held, state=TradingStatus.REDUCING)
    assert RejectCode.REDUCING_ONLY in crossing.codes  # selling through zero opens a short


def test_pending_orders_count_toward_exposure():
    pending = (buy(qty=200, key="p1"),)
    decision = check(buy(qty=100, key="p2"), book(open_orders=pending))  # 300 shares * $100 = 30% > 25%
    assert RejectCode.CONCENTRATION_EXCEEDED in decision.codes


@pytest.mark.parametrize(("field", "value"), [("max_risk_per_trade_pct", 2.5), ("max_capital_deployed_pct", 40),
                                              ("max_open_positions", 16), ("daily_loss_limit_pct", 0.5),
                                              ("max_drawdown_pct", 13)])
def test_limits_outside_their_allowed_range_are_refused(field, value):
    with pytest.raises(ValidationError) as err:
        RiskLimits(**{field: value})
    assert field in str(err.value)


@pytest.mark.parametrize(("fields", "bad"), [({"qty": -1}, "qty"), ({"qty": 0}, "qty"),
                                              ({"order_type": "limit", "limit_price": "1O0"}, "limit_price")])
def test_bad_raw_order_becomes_an_invalid_order_rejection_naming_the_field(fields, bad):
    raw = dict(symbol="AAPL", side="buy", qty=1, strategy_id="s", decision_key="k") | fields
    decision = intent_or_rejection(**raw)
    assert isinstance(decision, Rejected) and decision.codes == (RejectCode.INVALID_ORDER,)
    assert decision.details[RejectCode.INVALID_ORDER]["field"] == bad


def test_decision_is_a_value_and_does_not_change_the_book():
    the_book = book(positions={"AAPL": 10}, cash=99_000)
    before = (the_book.cash_usd, dict(the_book.positions))
    check(buy(qty=10_000), the_book)
    assert (the_book.cash_usd, dict(the_book.positions)) == before
    assert the_book.equity_usd == Decimal(100_000)
