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


def test_paper_run_of_an_unapproved_strategy_refuses_every_order_with_the_reason(database, bars, settings):
    from services.paper_loop import run_paper

    days = sorted(bars["ts"].unique())
    report = run_paper(database, BOB, strategy="sma_crossover", symbols=["AAA"], start=days[25].date(),
                       params={"fast": 5, "slow": 20}, settings=settings)

    assert sum(report.orders.values()) == 0
    assert set(report.refusals) == {"APPROVAL_MISSING"} and report.refusals["APPROVAL_MISSING"] >= 1
    assert "no stored human approval" in report.first_refusal
    assert count(database, "paper_orders") == 0


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
