"""The market clock of a paper account: a simulated market over stored bars when no live data exists (a fresh
install offline), real time where it does; prices, fills, marks and the risk check read it, nothing past it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import text

from errors import ConfigError, DataError
from quant.execution.orders import Order, OrderStatus
from quant.risk.decision import Approved, RejectCode
from tests.integration.execution.conftest import count, intent
from tests.integration.mcp.conftest import recent_bars  # noqa: F401
from tests.support.people import BOB, DANA


@pytest.fixture()
def clocks(database, settings):
    from services.market_clock import MarketClockService

    return MarketClockService(database, settings)


def _account(database, settings, name: str = "paper"):
    """The execution path of a paper account on its own market clock, as every interface builds it."""
    from services.execution_path import execution_service

    return execution_service(database, settings, account=name)


def test_without_live_data_a_fresh_account_runs_on_a_simulated_market_with_history_ahead(database, bars, clocks):
    days = sorted(bars["ts"].unique())

    clock = clocks.clock("fresh")

    assert clock.simulated and clock.describe() == f"simulated market at {days[20]:%Y-%m-%d}"
    assert clock.now == days[20].to_pydatetime()  # 60 stored sessions: a month of warm-up behind, the rest ahead
    assert clocks.clock("fresh") == clock  # stored on first use


def test_where_stored_bars_are_current_the_account_runs_on_real_time(database, recent_bars, clocks):  # noqa: F811
    clock = clocks.clock()

    assert not clock.simulated and clock.describe() == "real time"
    assert abs(clock.now - datetime.now(UTC)) < timedelta(minutes=1)


def test_an_order_fills_at_the_simulated_price_and_advancing_a_day_moves_marks_and_pnl(database, bars, settings,
                                                                                      clocks, paper_strategy):
    service = _account(database, settings)
    days = sorted(bars["ts"].unique())
    order = service.place(BOB, intent(qty=10))
    before = service.holdings(BOB)

    step = clocks.advance(DANA, sessions=1)
    after = service.holdings(BOB)

    close = lambda day: Decimal(repr(float(bars[(bars.symbol == "AAA") & (bars.ts == day)].close.iloc[0])))  # noqa: E731
    assert isinstance(order, Order) and order.status is OrderStatus.FILLED
    assert order.avg_fill_price == (close(days[20]) * Decimal("1.0005")).quantize(Decimal("0.0001"))
    assert (before.positions[0].mark_usd, before.positions[0].price_ts) == (close(days[20]), days[20])
    assert (after.positions[0].mark_usd, after.positions[0].price_ts) == (close(days[21]), days[21])
    assert after.unrealized_pnl_usd != before.unrealized_pnl_usd
    assert (step.start, step.end, step.sessions) == (days[20], days[21], 1)
    assert count(database, "audit_log", "action = 'market_clock.advance' AND actor = 'dana'") == 1


def test_advancing_fills_a_resting_limit_order_at_the_first_bar_that_reaches_it(database, bars, settings, clocks,
                                                                                paper_strategy):
    service = _account(database, settings)
    aaa = bars[bars.symbol == "AAA"].set_index("ts")
    days = list(aaa.index)
    # the lowest low of the next 20 sessions, or 4 % under the last close (the fat-finger band allows 5 %)
    lowest = max(float(aaa.low.iloc[21:41].min()), float(aaa.close.iloc[20]) * 0.96)
    limit = Decimal(repr(lowest)).quantize(Decimal("0.01"), "ROUND_UP")
    assert float(limit) < aaa.low.iloc[20]  # it does not fill at once
    first = next(day for day in days[21:] if aaa.low[day] <= float(limit))
    resting = service.place(BOB, intent(qty=10, key="dip", order_type="limit", limit_price=limit))
    assert resting.status is OrderStatus.ACCEPTED

    step = clocks.advance(DANA, sessions=20)

    filled = service.orders.get(resting.client_order_id).order
    assert [(f.client_order_id, f.ts) for f in step.fills] == [(resting.client_order_id, first)]
    assert filled.status is OrderStatus.FILLED and filled.avg_fill_price <= limit  # the outbox knows it too


def test_nothing_after_the_clock_is_seen_changing_the_future_changes_no_decision(database, bars, settings,
                                                                               paper_strategy):
    from memory.bars import BarStore

    service = _account(database, settings)
    order = service.place(BOB, intent(qty=10))
    now = service.now()
    seen = (service.check(BOB, intent(qty=3, key="probe")), service.holdings(BOB).to_dict())
    future = bars[bars.ts > pd.Timestamp(now)].copy()
    future[["open", "high", "low", "close"]] *= 3  # a wildly different future
    BarStore(database).upsert(future, source="perturbed")

    again = (service.check(BOB, intent(qty=3, key="probe")), service.holdings(BOB).to_dict())

    assert isinstance(order, Order) and again == seen and isinstance(seen[0], Approved)


def test_a_risk_check_as_of_an_earlier_date_prices_there_and_never_after_the_clock(database, bars, settings,
                                                                                 paper_strategy):
    service = _account(database, settings)
    days = sorted(bars["ts"].unique())

    earlier = service.check(BOB, intent(qty=3), as_of=days[15].to_pydatetime())
    with pytest.raises(ConfigError, match="after account paper's clock"):
        service.check(BOB, intent(qty=3), as_of=days[40].to_pydatetime())

    assert isinstance(earlier, Approved)


def test_on_real_time_an_old_price_is_stale_with_its_age_and_an_unstored_symbol_unknown(database, bars, settings,
                                                                                      clocks, paper_strategy):
    clocks.use_real_time(DANA)
    service = _account(database, settings)

    stale = service.check(BOB, intent(qty=3))
    unknown = service.check(BOB, intent(symbol="ZZZ", qty=3))

    assert stale.codes == (RejectCode.STALE_PRICE,)
    age = (datetime.now(UTC) - bars["ts"].max().to_pydatetime()).total_seconds() / 86_400
    assert stale.details[RejectCode.STALE_PRICE]["observed"] == pytest.approx(age, abs=0.01)
    assert unknown.codes == (RejectCode.UNKNOWN_SYMBOL,)


def test_a_simulated_clock_moves_only_forward_once_the_account_has_orders(database, bars, settings, clocks,
                                                                        paper_strategy):
    days = sorted(bars["ts"].unique())
    clocks.set_to(DANA, None, days[5].to_pydatetime())  # no orders yet: any date
    _account(database, settings).place(BOB, intent(qty=3))

    with pytest.raises(ConfigError, match="only moves forward"):
        clocks.set_to(DANA, None, days[2].to_pydatetime())
    moved = clocks.set_to(DANA, None, days[9].to_pydatetime() + timedelta(hours=5))

    assert moved.now == days[9].to_pydatetime()


def test_a_real_time_clock_does_not_advance_and_the_end_of_data_is_said(database, bars, settings, clocks):
    days = sorted(bars["ts"].unique())
    clocks.set_to(DANA, "late", days[-1].to_pydatetime())

    with pytest.raises(DataError, match="no stored bar after"):
        clocks.advance(DANA, "late")
    clocks.use_real_time(DANA, "late")
    with pytest.raises(ConfigError, match="runs on real time"):
        clocks.advance(DANA, "late")


def test_the_cli_shows_and_advances_the_clock_and_positions_read_it(database, bars, settings, paper_strategy,
                                                                    act_as):
    import json

    from tests.integration.cli_runner import run_cli

    act_as("trader")
    _account(database, settings).place(BOB, intent(qty=10))
    before = json.loads(run_cli("positions", "--json").stdout)
    advanced = run_cli("paper", "clock", "advance", "--days", "2")
    after = json.loads(run_cli("positions", "--json").stdout)
    shown = run_cli("paper", "clock", "show")

    assert advanced.exit_code == 0 and "(2 sessions)" in advanced.stdout
    assert after["as_of"] > before["as_of"] and after["unrealized_pnl_usd"] != before["unrealized_pnl_usd"]
    assert shown.stdout.strip() == f"account paper: simulated market at {after['as_of'][:10]}"
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT mode FROM market_clocks WHERE account_id = 'paper'")).scalar() == "simulated"
