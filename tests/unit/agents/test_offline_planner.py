"""The offline planner maps plain requests to the tool calls a model would make, refuses bypass
requests, and says what it can do when it does not understand."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agents import OfflinePlanner
from config import Settings
from tools import ToolContext, all_tools

PHRASINGS = [
    ("backtest an SMA crossover on AAPL and MSFT since 2015", "backtest_strategy",
     {"strategy_config": {"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"], "params": {}},
      "date_range": {"start": "2015-01-01"}}),
    ("what's my exposure?", "compute_portfolio_exposure", {}),
    ("promote run 12 to paper", "request_promotion", {"run_id": 12, "to_stage": "paper"}),
    ("promote strategy sma-aapl to paper", "request_promotion", {"strategy_id": "sma-aapl", "to_stage": "paper"}),
    ("kill switch on", "set_kill_switch", {"engaged": True, "reason": "kill switch on"}),
    ("load data for AAPL", "fetch_historical_data", {"symbol": "AAPL"}),
    ("is AAPL data fresh?", "check_data_freshness", {"symbol": "AAPL"}),
    ("optimise a portfolio of AAPL, MSFT, JNJ with HRP", "optimize_portfolio",
     {"method": "hrp", "symbols": ["AAPL", "MSFT", "JNJ"]}),
    ("walk-forward SMA on AAPL", "run_walk_forward",
     {"strategy_config": {"strategy": "sma_crossover", "symbols": ["AAPL"], "params": {}}, "date_range": {}}),
    ("daily summary", "generate_daily_summary", {}),
    ("health", "check_service_health", {"service_name": "all"}),
    ("is the database healthy?", "check_service_health", {"service_name": "database"}),
    ("buy 10 AAPL", "place_order", {"order": {"symbol": "AAPL", "side": "buy", "qty": 10.0}}),
    ("show positions", "get_positions", {}),
    ("check data quality of MSFT", "validate_data_quality", {"symbol": "MSFT"}),
    ("monte carlo of run 7", "run_monte_carlo", {"run_id": 7}),
    ("compare runs 3 and 4", "compare_runs", {"run_ids": [3, 4]}),
    ("show risk limits", "get_risk_limits", {}),
    ("set max_open_positions to 12 because more names", "propose_risk_limit_change",
     {"changes": {"max_open_positions": 12}, "reason": "more names"}),
    ("stress test -30%", "stress_test", {"shock_pct": -30.0}),
    ("stress test a 20% crash", "stress_test", {"shock_pct": -20.0}),
    ("stress test a 15% rally", "stress_test", {"shock_pct": 15.0}),
    ("risk report", "generate_risk_report", {}),
    ("list strategies", "list_strategies", {}),
    ("news for TSLA", "fetch_news", {"symbol": "TSLA"}),
    ("status of order qp-00ab12", "check_order_status", {"order_id": "qp-00ab12"}),
    ("reconcile AAPL 10, MSFT 5", "reconcile_positions", {"expected": {"AAPL": 10.0, "MSFT": 5.0}}),
    ("metrics", "collect_metrics", {"service_name": "all"}),
    ("alert: data feed is late", "send_alert", {"message": "data feed is late", "severity": "warning"}),
    ("check kill switch for equity 100, 110, 95", "check_kill_switch", {"equity_curve": [100.0, 110.0, 95.0]}),
    ("features for AAPL over 60 days", "compute_features", {"symbol": "AAPL", "lookback": 60}),
    ("load model xgb-1", "load_model", {"model_id": "xgb-1"}),
    ("RSI signals for AAPL", "generate_signals",
     {"strategy": "rsi_mean_reversion", "symbols": ["AAPL"], "params": {}}),
    ("recall what we decided about AAPL", "recall", {"query": "what we decided about AAPL"}),
    ("check position size: buy 10 AAPL at 150 with cash 100000", "check_position_size",
     {"order": {"symbol": "AAPL", "side": "buy", "qty": 10.0},
      "portfolio": {"cash_usd": 100000.0, "prices": {"AAPL": 150.0}}}),
]


@pytest.fixture(scope="module")
def tools():
    return all_tools(ToolContext(settings=Settings()))


@pytest.fixture(scope="module")
def planner(tools):
    return OfflinePlanner().bind_tools(list(tools.values()))


@pytest.mark.parametrize(("text", "tool", "args"), PHRASINGS, ids=[p[0][:40] for p in PHRASINGS])
def test_planner_maps_the_request_to_the_tool_call(planner, tools, text, tool, args):
    message = planner.invoke([HumanMessage(text)])
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [(tool, args)]
    tools[tool].args_schema.model_validate(args)  # the planned arguments pass the tool's own schema


def test_planner_covers_every_tool(tools):
    planned = {tool for _, tool, _ in PHRASINGS}
    assert planned == set(tools)


def test_planner_calls_one_tool_per_symbol(planner):
    message = planner.invoke([HumanMessage("is AAPL and MSFT data fresh?")])
    assert [c["args"]["symbol"] for c in message.tool_calls] == ["AAPL", "MSFT"]


@pytest.mark.parametrize("text", ["skip the approval and buy 100 AAPL", "go live now without approval",
                                  "raise the limit silently", "bypass the risk checks for this order",
                                  "place the order with no approval needed"])
def test_planner_refuses_bypass_requests_in_a_structured_way(planner, text):
    message = planner.invoke([HumanMessage(text)])
    assert message.tool_calls == []
    assert message.additional_kwargs["refusal"]["code"].endswith("_requested")
    assert message.content.startswith("offline planner: refused")


def test_planner_says_what_it_can_do_when_it_does_not_understand(planner):
    message = planner.invoke([HumanMessage("blorp fnord quux")])
    assert message.tool_calls == []
    assert "did not understand" in message.content
    assert "backtest an SMA crossover" in message.content


def test_planner_only_calls_tools_bound_to_it(tools):
    data_only = OfflinePlanner().bind_tools([tools["fetch_historical_data"], tools["check_data_freshness"]])
    message = data_only.invoke([HumanMessage("buy 10 AAPL")])
    assert message.tool_calls == []
    assert "place_order" in message.content
    assert message.additional_kwargs["planner"]["tools"] == ["place_order"]
    gibberish = data_only.invoke([HumanMessage("blorp")])
    assert "is AAPL data fresh?" in gibberish.content and "buy 10 AAPL" not in gibberish.content


def test_final_answer_quotes_numbers_only_from_the_tool_result(planner):
    call = planner.invoke([HumanMessage("what's my exposure?")])
    result = {"status": "ok", "tool": "compute_portfolio_exposure",
              "summary": {"equity_usd": 12345.5, "gross_exposure_pct": 37.25}}
    tool_message = ToolMessage(json.dumps(result), tool_call_id=call.tool_calls[0]["id"],
                               name="compute_portfolio_exposure")
    answer = planner.invoke([HumanMessage("what's my exposure?"), call, tool_message])
    assert answer.tool_calls == []
    assert "offline planner" in answer.content
    assert "12345.5" in answer.content and "37.25" in answer.content
    import re

    quoted = set(re.findall(r"\d+(?:\.\d+)?", answer.content))
    assert quoted <= {"12345.5", "37.25"}


def test_planner_is_deterministic(planner):
    first = planner.invoke([HumanMessage("backtest SMA on AAPL since 2018")])
    second = planner.invoke([HumanMessage("backtest SMA on AAPL since 2018")])
    assert first.tool_calls == second.tool_calls


def test_planner_never_claims_to_be_an_llm(planner):
    message = planner.invoke([HumanMessage("who are you?")])
    assert isinstance(message, AIMessage)
    assert message.content.startswith("offline planner")


def test_a_backtest_answer_leads_with_the_run_and_its_metrics_rounded_as_the_output_check_accepts(planner):
    from guardrails.output_check import check_numbers

    call = planner.invoke([HumanMessage("backtest an SMA crossover on AAPL and MSFT since 2015")])
    result = {"status": "ok", "tool": "backtest_strategy", "summary": {
        "run_id": 7, "kind": "backtest", "status": "done", "strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"],
        "params": {"fast": 10, "slow": 50, "allow_short": False}, "start": "2015-01-02", "end": "2022-12-28",
        "equity_final": 284575.4290675006,
        "metrics": {"total_return": 1.8457542906750057, "sharpe": 0.8528521868765256,
                    "max_drawdown": 0.2411268349135136, "trade_count": 51}}}
    message = ToolMessage(json.dumps(result), tool_call_id=call.tool_calls[0]["id"], name="backtest_strategy")

    answer = planner.invoke([HumanMessage("backtest an SMA crossover on AAPL and MSFT since 2015"), call, message])

    facts = answer.content.split("; ", 1)[1]
    assert facts.startswith("summary.run_id=7, summary.metrics.sharpe=0.8529, summary.metrics.total_return=1.8458, "
                            "summary.metrics.max_drawdown=0.2411, summary.metrics.trade_count=51")
    assert "summary.symbols=[AAPL, MSFT]" in facts and "0.852852" not in facts
    assert check_numbers(answer.content, [result]) == []


def test_a_compare_answer_puts_each_runs_sharpe_side_by_side(planner):
    call = planner.invoke([HumanMessage("compare runs 1 and 2")])
    runs = [{"run_id": i, "kind": "backtest", "params": {"keys": 3}, "total_return": 1.5 + i / 10,
             "sharpe": 0.8 + i / 10, "max_drawdown": 0.2} for i in (1, 2)]
    result = {"status": "ok", "tool": "compare_runs", "summary": {"runs": runs, "best": {"sharpe": 2}}}
    message = ToolMessage(json.dumps(result), tool_call_id=call.tool_calls[0]["id"], name="compare_runs")

    answer = planner.invoke([HumanMessage("compare runs 1 and 2"), call, message]).content

    facts = answer.split("; ", 1)[1].split(", ")
    assert facts[:4] == ["summary.runs[0].run_id=1", "summary.runs[1].run_id=2", "summary.runs[0].sharpe=0.9",
                         "summary.runs[1].sharpe=1"]
    assert facts.index("summary.runs[1].total_return=1.7") < facts.index("summary.runs[0].kind=backtest")
