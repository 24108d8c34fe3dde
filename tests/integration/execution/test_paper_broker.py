"""The paper broker on stored bars: value conservation, limit and stop logic against later bars."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.execution.conftest import intent

TRADES = st.lists(st.tuples(st.sampled_from(["AAA", "BBB"]), st.sampled_from(["buy", "sell"]),
                            st.integers(min_value=1, max_value=50)), min_size=1, max_size=8)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trades=TRADES)
def test_cash_plus_positions_plus_fees_equals_starting_cash_plus_pnl(database, bars, clock, trades):
    from sqlalchemy import text

    from memory.paper_broker import PaperBroker

    with database.engine.begin() as conn:
        conn.execute(text("TRUNCATE paper_accounts, paper_orders, fills, positions"))
    broker = PaperBroker(database, clock=clock, account_id="prop", slippage_bps=7, commission_usd=1,
                         commission_bps=2)
    days = sorted(bars["ts"].unique())[-len(trades):]
    for i, ((symbol, side, qty), day) in enumerate(zip(trades, days, strict=False)):
        clock.now = day.to_pydatetime() + timedelta(hours=21)
        broker.place_order(intent(symbol=symbol, side=side, qty=qty, key=f"t{i}"))

    ledger = broker.ledger()
    marks = {p.symbol: broker.mark(p.symbol) for p in broker.get_positions()}
    held = sum((p.qty * marks[p.symbol] for p in broker.get_positions()), Decimal(0))
    # P&L computed independently of the cash ledger: every fill's shares marked at today's close
    fills = [(f.symbol, f.signed_qty, f.price) for f in _fills(database)]
    pnl = sum((q * (broker.mark(s) - p) for s, q, p in fills), Decimal(0))
    assert abs(ledger["cash_usd"] + held + ledger["fees_paid_usd"] - (ledger["starting_cash_usd"] + pnl)) < Decimal(
        "0.000001")
    unrealized = sum((p.qty * (marks[p.symbol] - p.avg_entry_price) for p in broker.get_positions()), Decimal(0))
    assert abs(ledger["realized_pnl_usd"] + unrealized - pnl) < Decimal("0.0001")


def _fills(database):
    from memory.orders import OrderRepository

    return OrderRepository(database).fills(account_id="prop")


def test_buy_limit_rests_until_a_later_bar_trades_through_it(database, bars, clock):
    from memory.paper_broker import PaperBroker
    from quant.execution.orders import OrderStatus

    days = sorted(bars["ts"].unique())
    aaa = bars[bars.symbol == "AAA"].set_index("ts")
    start = days[-10]
    later = aaa.loc[days[-9]:]
    limit = Decimal(repr(float(later["low"].min()))).quantize(Decimal("0.01")) + Decimal("0.01")
    clock.now = start.to_pydatetime() + timedelta(hours=21)
    broker = PaperBroker(database, clock=clock, slippage_bps=0)
    placed = broker.place_order(intent(order_type="limit", limit_price=limit, time_in_force="gtc"))
    first_hit = next(ts for ts, row in later.iterrows() if Decimal(repr(float(row["low"]))) <= limit)

    fills = []
    for day in days[-9:]:
        clock.now = day.to_pydatetime() + timedelta(hours=21)
        fills.extend(broker.match_open_orders())

    assert placed.status is OrderStatus.ACCEPTED
    assert len(fills) == 1
    close = Decimal(repr(float(aaa.loc[first_hit, "close"]))).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    assert fills[0].price == min(limit, close)
    assert fills[0].ts.date() == first_hit.date()


def test_sell_stop_triggers_when_the_low_reaches_it(database, bars, clock):
    from memory.paper_broker import PaperBroker

    broker = PaperBroker(database, clock=clock, slippage_bps=0)
    broker.place_order(intent(qty=10, key="buy"))
    last = broker.latest_bar("AAA")
    above_low = (last.low + Decimal("0.01")).quantize(Decimal("0.01"))

    order = broker.place_order(intent(qty=10, side="sell", key="stop", order_type="stop", stop_price=above_low))

    assert order.filled_qty == 10
    assert order.avg_fill_price == last.close.quantize(Decimal("0.0001"), ROUND_HALF_UP)  # price tick $0.0001
