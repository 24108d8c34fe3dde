"""The offline planner's understanding comes from the registries: strategy and indicator names and their
synonyms, the optimiser's methods and the risk limits' names; typos are read as the keyword meant, English
words never; tickers are found in any case; the thread context says what "it" means."""

from __future__ import annotations

from typing import ClassVar

import pytest

from agents.understanding import Plan, Reply, plan_request
from agents.understanding.request import Request
from agents.understanding.vocabulary import METHOD_PHRASES, correct_typos, strategies_in, symbols_in
from quant.strategies import registry
from quant.strategies.crossover import CrossoverParams, SmaCrossover

AFTER_BACKTEST = {"last_run": {"tool": "backtest_strategy", "run_id": 7, "kind": "backtest",
                               "strategy_config": {"strategy": "sma_crossover", "symbols": ["AAPL"], "params": {}},
                               "date_range": {}}}


def _strategy(text: str) -> str:
    plan = plan_request(text)
    assert isinstance(plan, Plan), plan
    return plan.calls[0].args["strategy_config"]["strategy"]


@pytest.mark.parametrize(("said", "name"), [
    ("bollinger", "bollinger_reversion"), ("momentum", "ts_momentum"), ("macd", "ema_crossover"),
    ("mean reversion", "rsi_mean_reversion"), ("breakout", "bollinger_breakout"), ("golden cross", "sma_crossover"),
    ("cross-sectional momentum", "xs_momentum"), ("xgboost", "xgboost_model"),
])
def test_the_strategy_names_people_use_map_to_registered_strategies(said, name):
    assert _strategy(f"backtest a {said} strategy on AAPL") == name
    assert name in {s.name for s in registry.list_strategies()}


def test_every_synonym_names_a_registered_strategy():
    assert set(registry.synonyms().values()) == {s.name for s in registry.list_strategies()}


def test_a_strategy_registered_later_is_understood_by_its_aliases_without_touching_the_planner():
    class Turtle(SmaCrossover):
        name = "turtle_channel"
        description = "test strategy"
        aliases: ClassVar = ("turtle", "turtle trading")
        Params: ClassVar = CrossoverParams

    registry.register_strategy(Turtle)
    try:
        assert _strategy("backtest turtle trading on AAPL") == "turtle_channel"
    finally:
        registry._STRATEGIES.pop("turtle_channel")


def test_the_optimiser_methods_the_planner_names_are_the_optimisers_own():
    from quant.portfolio.methods import METHODS

    assert {name for _, name in METHOD_PHRASES} <= set(METHODS)


def test_every_numeric_risk_limit_can_be_named_in_a_change_request():
    from agents.understanding.risk import _LIMIT_FIELDS
    from guardrails.risk_policy import RiskLimits

    assert set(_LIMIT_FIELDS) == set(RiskLimits.model_fields) - {"allowed_symbols"}
    for field in _LIMIT_FIELDS:
        plan = plan_request(f"set {field.removesuffix('_pct').removesuffix('_usd').replace('_', ' ')} to 12")
        assert isinstance(plan, Plan) and plan.calls[0].args["changes"] == {field: 12}, field


@pytest.mark.parametrize(("typed", "read"), [
    ("backtset sma", "backtest sma"), ("whats my expsoure", "whats my exposure"), ("newz for x", "news for x"),
    ("out of sample across names", "out of sample across names"), ("show postions", "show positions"),
])
def test_typos_are_read_as_the_keyword_and_english_words_are_left_alone(typed, read):
    assert correct_typos(typed) == read


@pytest.mark.parametrize(("text", "symbols"), [
    ("backtest sma on aapl and msft", ["AAPL", "MSFT"]), ("load SP500 since 2000", ["SP500"]),
    ("buy 10 BRK.B", ["BRK.B"]), ("and since 2018?", []), ("load data for me", []),
])
def test_tickers_are_found_in_any_case_and_ordinary_words_are_not_tickers(text, symbols):
    assert symbols_in(text) == symbols


def test_it_and_this_strategy_and_that_run_resolve_from_the_thread_context():
    for text in ("promote this strategy to paper trading", "promote it to paper", "put that run into paper trading"):
        plan = plan_request(text, AFTER_BACKTEST)
        assert isinstance(plan, Plan) and plan.calls[0].args == {"run_id": 7, "to_stage": "paper"}, text
    monte = plan_request("run a monte carlo on it", AFTER_BACKTEST)
    assert isinstance(monte, Plan) and monte.calls[0].args == {"run_id": 7}


def test_without_a_thread_context_it_is_a_question_back_that_still_names_the_tool():
    reply = plan_request("run a monte carlo on it")
    assert isinstance(reply, Reply) and reply.kind == "clarify" and reply.tool == "run_monte_carlo"
    assert "Which run?" in reply.text


def test_strategy_parameters_are_read_by_their_registered_names_and_shorthands():
    plan = plan_request("backtest rsi on PFE with length 7 below 25")
    assert plan.calls[0].args["strategy_config"]["params"] == {"length": 7, "lower": 25.0}
    assert strategies_in(Request("sma 20/100 crossover").low) == ["sma_crossover"]


@pytest.mark.parametrize(("said", "costs"), [
    ("with a starting capital of 50000", {"initial_capital": 50_000}),
    ("with $50k, commission $0.005 per share and slippage 5 bps",
     {"initial_capital": 50_000, "commission_per_share": 0.005, "commission_per_order": 0, "slippage_bps": 5}),
    ("commission $1 per trade, 2 bps slippage", {"commission_per_order": 1, "slippage_bps": 2}),
    ("with no commission and no slippage on a $25,000 account",
     {"initial_capital": 25_000, "commission_per_order": 0, "commission_per_share": 0, "commission_bps": 0,
      "slippage_bps": 0}),
    ("commission 1.5 bps, capital 1.2m", {"initial_capital": 1_200_000, "commission_bps": 1.5}),
    ("since 2015 with fast 20 and slow 100", {}),  # numbers that are no costs stay out
])
def test_a_backtest_takes_the_capital_commission_and_slippage_the_request_names(said, costs):
    plan = plan_request(f"backtest an SMA crossover on AAPL {said}")
    assert isinstance(plan, Plan), plan
    assert plan.calls[0].args.get("costs", {}) == costs


def test_a_walk_forward_of_it_keeps_the_costs_of_the_backtest_it_refers_to():
    context = {"last_run": {**AFTER_BACKTEST["last_run"], "costs": {"initial_capital": 50_000, "slippage_bps": 5}}}
    plan = plan_request("run a walk-forward of it with slippage 2 bps", context)
    assert isinstance(plan, Plan), plan
    assert plan.calls[0].name == "run_walk_forward"
    assert plan.calls[0].args["costs"] == {"initial_capital": 50_000, "slippage_bps": 2}
