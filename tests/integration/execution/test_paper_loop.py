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
