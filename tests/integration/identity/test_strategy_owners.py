"""Strategies have an owner: only the owner or an approver may change one; a change past draft is a new draft
version that climbs the ladder again, while the version that trades keeps trading until the new one is approved."""

from __future__ import annotations

import pytest

from errors import PermissionDenied
from tests.integration.execution.conftest import approve_stage, intent
from tests.support.people import ALICE, BOB, DANA, person

SMA = {"fast": 5, "slow": 20}


@pytest.fixture()
def strategies(database):
    from services.strategies import StrategyService

    return StrategyService(database)


def test_the_first_registration_makes_the_trader_the_owner(strategies):
    record = strategies.register(DANA, "dana_sma", "Dana's SMA", "sma_crossover", SMA)

    assert (record.owner_id, record.stage, record.version) == (DANA.user_id, "draft", 1)


def test_another_trader_cannot_replace_a_strategy_and_nothing_changes(strategies):
    strategies.register(DANA, "dana_sma", "Dana's SMA", "sma_crossover", SMA)
    other = person("trent", "trader")

    with pytest.raises(PermissionDenied, match="belongs to another user"):
        strategies.register(other, "dana_sma", "Trent's now", "sma_crossover", {"fast": 7, "slow": 30})

    record = strategies.get(DANA, "dana_sma")
    assert (record.name, record.params, record.version) == ("Dana's SMA", SMA, 1)


def test_an_approver_may_change_anyones_strategy(strategies):
    strategies.register(DANA, "dana_sma", "Dana's SMA", "sma_crossover", SMA)

    changed = strategies.register(ALICE, "dana_sma", "Dana's SMA", "sma_crossover", {"fast": 6, "slow": 25})

    assert (changed.version, changed.owner_id) == (2, DANA.user_id)


def test_changing_a_paper_strategy_makes_a_new_draft_while_the_running_version_keeps_trading(
        database, strategies, service, bars):
    strategies.register(DANA, "trend", "trend", "sma_crossover", SMA)
    approve_stage(database, "trend", "paper")

    changed = strategies.register(DANA, "trend", "trend", "sma_crossover", {"fast": 8, "slow": 40})
    order = service.place(BOB, intent(qty=3, strategy_id="trend"))

    assert (changed.version, changed.stage) == (2, "draft")
    assert (changed.running_version, changed.running_stage) == (1, "paper")
    assert order.status.value == "filled"  # version 1's paper approval still covers the strategy's orders
    versions, moves = strategies.history(DANA, "trend")
    assert [(v.version, v.stage) for v in versions] == [(1, "paper"), (2, "draft")]
    assert moves[-1].actor == "dana" and moves[-1].to_stage == "draft"


def test_the_new_version_approved_to_paper_retires_the_one_that_ran(database, strategies):
    from memory.strategies import StrategyRegistry

    strategies.register(DANA, "trend", "trend", "sma_crossover", SMA)
    approve_stage(database, "trend", "paper")
    strategies.register(DANA, "trend", "trend", "sma_crossover", {"fast": 8, "slow": 40})

    StrategyRegistry(database).transition("trend", "paper", actor="alice", approval_id="apr_v2_paper")

    versions = {v.version: v.stage for v in StrategyRegistry(database).versions("trend")}
    assert versions == {1: "retired", 2: "paper"}


def test_every_change_to_a_strategy_is_audited_with_the_real_actor(database, strategies):
    from memory.audit import AuditLog

    strategies.register(DANA, "dana_sma", "Dana's SMA", "sma_crossover", SMA)
    strategies.register(DANA, "dana_sma", "Dana's SMA", "sma_crossover", {"fast": 9, "slow": 30})
    strategies.register(DANA, "dana_sma", "Dana's better SMA", "sma_crossover", {"fast": 9, "slow": 30})

    actions = [(e.actor, e.action) for e in reversed(AuditLog(database).recent())]
    assert actions == [("dana", "strategy_registered"), ("dana", "strategy_versioned"), ("dana", "strategy_renamed")]
