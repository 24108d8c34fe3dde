"""Every tool validates its arguments with its pydantic schema and names the offending field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config import Settings
from tools import AGENT_NAMES, ToolContext, all_tools, build_tools

BAD_ARGS = [
    ("fetch_historical_data", {"symbol": "not a ticker!"}, "symbol"),
    ("fetch_historical_data", {"symbol": "AAPL", "start_date": "yesterday-ish"}, "start_date"),
    ("check_data_freshness", {"symbol": "AAPL", "as_of": "soon"}, "as_of"),
    ("validate_data_quality", {"symbol": "AAPL", "extra": 1}, "extra"),
    ("compute_features", {"symbol": "AAPL", "lookback": 1}, "lookback"),
    ("generate_signals", {"strategy": "sma_crossover", "symbols": []}, "symbols"),
    ("backtest_strategy", {"strategy_config": {"strategy": "sma", "symbols": ["AAPL"]},
                           "date_range": {"start": "2020-01-01", "end": "2019-01-01"}}, "end"),
    ("run_monte_carlo", {"run_id": 0}, "run_id"),
    ("optimize_portfolio", {"method": "hrp", "symbols": ["AAPL"]}, "symbols"),
    ("compare_runs", {"run_ids": [1]}, "run_ids"),
    ("check_position_size", {"order": {"symbol": "AAPL", "side": "hold", "qty": 1},
                             "portfolio": {"cash_usd": 1000, "prices": {"AAPL": 10}}}, "side"),
    ("check_kill_switch", {"equity_curve": [100.0]}, "equity_curve"),
    ("check_kill_switch", {"equity_curve": [100.0] * 65}, "equity_curve"),  # long curves go by run id
    ("check_kill_switch", {}, "run_id"),
    ("propose_risk_limit_change", {"changes": {}, "reason": "why not"}, "changes"),
    ("stress_test", {"shock_pct": -150}, "shock_pct"),
    ("place_order", {"order": {"symbol": "AAPL", "side": "buy", "qty": -5}}, "qty"),
    ("check_order_status", {"order_id": ""}, "order_id"),
    ("reconcile_positions", {"expected": {"???": 1}}, "expected"),
    ("check_service_health", {"service_name": "coffee-machine"}, "service_name"),
    ("send_alert", {"message": "x", "severity": "apocalyptic"}, "severity"),
    ("request_promotion", {"strategy_id": "s1", "to_stage": "moon"}, "to_stage"),
    ("request_promotion", {"to_stage": "paper"}, "strategy_id or run_id"),
    ("recall", {"query": ""}, "query"),
]


@pytest.fixture(scope="module")
def tools():
    return all_tools(ToolContext(settings=Settings()))


@pytest.mark.parametrize(("name", "args", "field"), BAD_ARGS, ids=[f"{n}-{f}" for n, _, f in BAD_ARGS])
def test_tool_rejects_bad_arguments_naming_the_field(tools, name, args, field):
    with pytest.raises(ValidationError) as raised:
        tools[name].invoke(args)
    assert field in str(raised.value)


def test_every_tool_has_a_strict_pydantic_schema_and_a_description(tools):
    for tool in tools.values():
        assert tool.description, tool.name
        assert tool.args_schema.model_config.get("extra") == "forbid", tool.name


def test_each_of_the_five_agents_gets_its_own_tools():
    built = build_tools(ToolContext(settings=Settings()))
    assert tuple(built) == AGENT_NAMES
    assert "place_order" in {t.name for t in built["execution"]}
    assert "place_order" not in {t.name for t in built["strategy"]}
    assert {t.name for t in built["data"]} >= {"fetch_historical_data", "validate_data_quality",
                                              "check_data_freshness", "fetch_news"}


def test_symbols_are_normalised_to_upper_case(tools):
    schema = tools["fetch_historical_data"].args_schema
    assert schema.model_validate({"symbol": " aapl "}).symbol == "AAPL"
