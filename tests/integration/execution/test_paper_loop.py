"""``paper run``: history replayed bar by bar; every order goes through the execution service."""

from __future__ import annotations

from tests.integration.execution.conftest import count
from tests.support.people import BOB


def test_paper_run_of_an_approved_strategy_trades_and_every_order_passed_the_gate(database, bars, settings,
                                                                                  paper_strategy):
    from services.paper_loop import run_paper

    days = sorted(bars["ts"].unique())
    report = run_paper(database, BOB, strategy=paper_strategy, symbols=["AAA", "BBB"], start=days[25].date(),
                       end=days[-1].date(), settings=settings)

    assert report.bars == len(days) - 25
    assert sum(report.orders.values()) >= 1
    submitted = count(database, "audit_log", "action = 'order.submitted'")
    assert submitted == count(database, "paper_orders") == sum(report.orders.values())
    assert count(database, "orders", "strategy_id = 'trend'") == submitted


def test_paper_run_of_an_unregistered_strategy_is_refused_at_once(database, bars, settings):
    import pytest

    from errors import ConfigError
    from services.paper_loop import run_paper

    days = sorted(bars["ts"].unique())
    with pytest.raises(ConfigError, match="not a registered strategy") as refused:
        run_paper(database, BOB, strategy="sma_crossover", symbols=["AAA"], start=days[25].date(),
                  params={"fast": 5, "slow": 20}, settings=settings)

    assert refused.value.code == "strategy_not_at_paper"
    assert count(database, "orders") == count(database, "paper_orders") == 0


def _halt_paper(database, service) -> None:
    from sqlalchemy import text

    service.book()
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE paper_accounts SET cash_usd = 80000 WHERE account_id = 'paper'"))
    service.trading_state(service.book())


def test_paper_run_on_a_halted_account_is_refused_at_once_and_changes_nothing(database, bars, settings, service,
                                                                              paper_strategy):
    import pytest

    from errors import ConfigError
    from services.paper_loop import run_paper
    from tests.integration.execution.conftest import digest

    _halt_paper(database, service)
    before = digest(database)

    with pytest.raises(ConfigError, match="account paper is halted") as refused:
        run_paper(database, BOB, strategy=paper_strategy, symbols=["AAA", "BBB"], settings=settings)

    assert refused.value.code == "account_halted"
    assert "quantpilot risk reset-breaker request --account paper" in refused.value.message
    assert digest(database) == before  # not one order, not one equity mark: the drawdown did not move


def test_paper_run_of_a_strategy_not_yet_at_paper_is_refused_at_once(database, bars, settings):
    import pytest

    from errors import ConfigError
    from memory.strategies import StrategyRegistry
    from services.paper_loop import run_paper
    from tests.integration.execution.conftest import approve_stage

    StrategyRegistry(database).register("young", "young", "sma_crossover", {"fast": 5, "slow": 20})
    approve_stage(database, "young", "backtested")

    with pytest.raises(ConfigError, match="strategy young is at stage backtested; paper trading needs it approved"):
        run_paper(database, BOB, strategy="young", symbols=["AAA"], settings=settings)

    assert count(database, "orders") == 0


def test_a_breaker_trip_stops_the_run_at_that_bar_and_says_how_to_lift_it(database, bars, settings, paper_strategy):
    from sqlalchemy import text

    from services.paper_loop import run_paper

    days = sorted(bars["ts"].unique())

    def crash_on_day_30(done, total, now):  # the market moves against the book: a fifth of the cash is gone
        if now == days[30]:
            with database.engine.begin() as conn:
                conn.execute(text("UPDATE paper_accounts SET cash_usd = cash_usd - 20000 WHERE account_id = 'paper'"))

    report = run_paper(database, BOB, strategy=paper_strategy, symbols=["AAA", "BBB"], start=days[25].date(),
                       settings=settings, progress=crash_on_day_30)

    assert report.bars == 7 and report.end_ts == days[31]  # the bar after the loss: the breaker saw it, the run ended
    assert report.stopped.startswith(f"account paper halted on {days[31]:%Y-%m-%d}: drawdown breaker")
    assert report.release.startswith("quantpilot risk reset-breaker request --account paper")


def test_the_run_moves_the_accounts_clock_and_the_next_run_continues_from_it(database, bars, settings,
                                                                             paper_strategy):
    from services.market_clock import MarketClockService
    from services.paper_loop import run_paper

    days = sorted(bars["ts"].unique())
    first = run_paper(database, BOB, strategy=paper_strategy, symbols=["AAA", "BBB"], start=days[25].date(),
                      end=days[40].date(), settings=settings)
    clock = MarketClockService(database, settings).clock()
    second = run_paper(database, BOB, strategy=paper_strategy, symbols=["AAA", "BBB"], settings=settings)

    assert (first.bars, clock.now) == (16, days[40].to_pydatetime())
    assert second.bars == len(days) - 41  # from the bar after the clock to the newest stored bar
    assert MarketClockService(database, settings).clock().now == days[-1].to_pydatetime()


def test_a_run_on_a_terminal_shows_its_progress(database, bars, settings, paper_strategy, act_as, monkeypatch):
    import io

    from rich.console import Console

    from api import output
    from api.commands import paper_cmd

    screen = io.StringIO()
    monkeypatch.setattr(output, "console", Console(file=screen, force_terminal=True, width=80))
    act_as("trader")
    days = sorted(bars["ts"].unique())

    paper_cmd.run(strategy=paper_strategy, symbols="AAA,BBB", start=str(days[25].date()), end=str(days[30].date()),
                  speed=0.0, params=None, account=None, capital=None, commission=None,
                  commission_per_share=None, commission_bps=None, slippage_bps=None, as_json=False)

    shown = screen.getvalue()
    assert f"replaying {days[30]:%Y-%m-%d}" in shown and "6/6" in shown
    assert "trend on AAA and BBB in account paper: 6 bars replayed" in shown


def test_paper_run_charges_the_given_costs_and_opens_the_account_with_the_given_capital(database, bars, settings,
                                                                                         paper_strategy):
    from decimal import Decimal

    from memory.paper_broker import PaperBroker
    from services.paper_loop import PaperCosts, run_paper

    days = sorted(bars["ts"].unique())
    costs = PaperCosts(starting_cash_usd=Decimal(50_000), commission_usd=Decimal(2),
                       commission_per_share_usd=Decimal("0.01"), slippage_bps=Decimal(0))
    report = run_paper(database, BOB, strategy=paper_strategy, symbols=["AAA", "BBB"], start=days[25].date(),
                       settings=settings, account_id="small", costs=costs)

    fills = database_fills(database, "small")
    assert report.start_equity_usd == Decimal(50_000)
    assert report.costs == {"initial_capital": 50_000.0, "commission_per_order": 2.0, "commission_per_share": 0.01,
                            "commission_bps": 0.0, "slippage_bps": 0.0}
    assert fills and all(fee == (Decimal(2) + qty * Decimal("0.01")).quantize(Decimal("0.01")) for qty, fee in fills)
    assert PaperBroker(database, account_id="small").ledger()["fees_paid_usd"] == sum(fee for _, fee in fills)


def test_another_capital_for_an_existing_paper_account_is_refused_naming_it(database, bars, settings, paper_strategy):
    from decimal import Decimal

    import pytest

    from errors import ConfigError
    from services.paper_loop import PaperCosts, run_paper

    days = sorted(bars["ts"].unique())
    run_paper(database, BOB, strategy=paper_strategy, symbols=["AAA"], start=days[-5].date(), settings=settings)
    with pytest.raises(ConfigError, match="already started with \\$100,000.00"):
        run_paper(database, BOB, strategy=paper_strategy, symbols=["AAA"], start=days[-5].date(), settings=settings,
                  costs=PaperCosts(starting_cash_usd=Decimal(20_000)))


def database_fills(database, account_id: str) -> list[tuple]:
    from sqlalchemy import text

    with database.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT qty, fee_usd FROM fills WHERE account_id = :a"),
                                               {"a": account_id})]
