"""The offline planner maps plain requests to the tool calls a model would make, refuses bypass
requests, and says what it can do when it does not understand."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import HumanMessage, ToolMessage

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
    ("optimize a black litterman portfolio of AAPL, MSFT and XOM with $50k, AAPL 12% with 70% confidence and "
     "XOM=-5%@40%", "optimize_portfolio",
     {"method": "black_litterman", "symbols": ["AAPL", "MSFT", "XOM"], "total_value": 50_000.0,
      "views": {"AAPL": (0.12, 0.7), "XOM": (-0.05, 0.4)}}),
    ("efficient risk portfolio of AAPL and MSFT targeting 30% volatility", "optimize_portfolio",
     {"method": "efficient_risk", "symbols": ["AAPL", "MSFT"], "target_volatility": 0.3}),
    ("weights of AAPL, MSFT and JPM for a target return of 15% with $25,000", "optimize_portfolio",
     {"method": "efficient_return", "symbols": ["AAPL", "MSFT", "JPM"], "total_value": 25_000.0,
      "target_return": 0.15}),
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
    # a value out of range still reaches the tool, whose validation names the limit (it was read as no request)
    ("set max open positions to -3 because fewer names", "propose_risk_limit_change",
     {"changes": {"max_open_positions": -3}, "reason": "fewer names"}),
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
    assert message.content.startswith("I can't do that:") and "approval" in message.content


def test_a_request_no_agent_serves_gets_a_refusal_that_says_what_would_work(planner):
    message = planner.invoke([HumanMessage("book me a table for two")])
    assert message.tool_calls == [] and message.additional_kwargs["planner"]["understood"] is False
    assert message.content.startswith('I can\'t help with "book me a table for two" here.')
    for agent in ("Data", "Strategy", "Risk", "Execution", "Monitoring"):
        assert f"- {agent} agent:" in message.content
    assert '"backtest an SMA crossover on AAPL and MSFT since 2015"' in message.content


@pytest.mark.parametrize("text", ["help", "what can you do?", "hi", "who are you?"])
def test_help_says_what_each_of_the_five_agents_does_with_an_example_and_that_it_is_no_llm(planner, text):
    from agents.capabilities import AGENT_MODULES

    message = planner.invoke([HumanMessage(text)])
    assert message.tool_calls == [] and message.additional_kwargs["planner"]["reply"] == "help"
    assert "not an LLM" in message.content
    for module in AGENT_MODULES:
        assert f'{module.SUMMARY}. Try: "{module.EXAMPLE}"' in message.content


def test_each_agents_help_example_plans_a_tool_that_agent_owns(tools):
    from agents.capabilities import AGENT_MODULES
    from agents.understanding import Plan, plan_request
    from tools import build_tools

    owned = {agent: {t.name for t in agent_tools} for agent, agent_tools in build_tools(
        ToolContext(settings=Settings())).items()}
    for module in AGENT_MODULES:
        plan = plan_request(module.EXAMPLE)
        assert isinstance(plan, Plan) and {c.name for c in plan.calls} <= owned[module.NAME], module.NAME


def test_planner_only_calls_tools_bound_to_it(tools):
    data_only = OfflinePlanner().bind_tools([tools["fetch_historical_data"], tools["check_data_freshness"]])
    message = data_only.invoke([HumanMessage("buy 10 AAPL")])
    assert message.tool_calls == []
    assert "place_order" in message.content
    assert message.additional_kwargs["planner"]["tools"] == ["place_order"]


def test_final_answer_quotes_numbers_only_from_the_tool_result_formatted_for_people(planner):
    from guardrails.output_check import check_numbers

    call = planner.invoke([HumanMessage("what's my exposure?")])
    result = {"status": "ok", "tool": "compute_portfolio_exposure",
              "summary": {"equity_usd": 12345.5, "cash_usd": 7000.0, "n_positions": 1, "gross_exposure_usd": 5345.5,
                          "net_exposure_usd": 5345.5, "gross_exposure_pct": 43.3, "by_symbol_pct": {"AAPL": 43.3}}}
    tool_message = ToolMessage(json.dumps(result), tool_call_id=call.tool_calls[0]["id"],
                               name="compute_portfolio_exposure")
    answer = planner.invoke([HumanMessage("what's my exposure?"), call, tool_message])
    assert answer.tool_calls == []
    assert "Equity $12,345.50, cash $7,000.00" in answer.content and "(43.30% of equity)" in answer.content
    assert "1 open position" in answer.content and "AAPL" in answer.content
    assert check_numbers(answer.content, [result]) == []


def test_planner_is_deterministic(planner):
    first = planner.invoke([HumanMessage("backtest SMA on AAPL since 2018")])
    second = planner.invoke([HumanMessage("backtest SMA on AAPL since 2018")])
    assert first.tool_calls == second.tool_calls


def test_a_backtest_answer_leads_with_the_run_and_its_metrics_formatted_as_the_output_check_accepts(planner):
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

    first, figures, equity, next_step = answer.content.split("\n")
    assert first == "Backtest run 7: sma_crossover (fast 10, slow 50) on AAPL and MSFT, 2015-01-02 to 2022-12-28."
    assert figures == "Total return +184.58%, Sharpe 0.85, max drawdown 24.11%, 51 trades."
    assert equity == "Final equity $284,575.43."
    assert next_step.startswith('Next: "run a walk-forward of it"') and "promote run 7 to backtested" in next_step
    assert check_numbers(answer.content, [result]) == []


def test_a_compare_answer_is_a_table_of_each_runs_figures_and_names_the_best(planner):
    call = planner.invoke([HumanMessage("compare runs 1 and 2")])
    runs = [{"run_id": i, "kind": "backtest", "strategy": "sma_crossover", "params": {"keys": 3},
             "total_return": 1.5 + i / 10, "sharpe": 0.8 + i / 10, "max_drawdown": 0.2, "trade_count": 40 + i}
            for i in (1, 2)]
    result = {"status": "ok", "tool": "compare_runs", "summary": {"runs": runs, "best": {"sharpe": 2}}}
    message = ToolMessage(json.dumps(result), tool_call_id=call.tool_calls[0]["id"], name="compare_runs")

    answer = planner.invoke([HumanMessage("compare runs 1 and 2"), call, message]).content

    head, header, first, second = answer.split("\n")
    assert head == "Runs 1 and 2 side by side (best Sharpe: run 2):"
    assert header.split() == ["run", "kind", "strategy", "Sharpe", "total", "return", "max", "drawdown", "trades"]
    assert first.split() == ["1", "backtest", "sma_crossover", "0.90", "+160.00%", "20.00%", "41"]
    assert second.split() == ["2", "backtest", "sma_crossover", "1.00", "+170.00%", "20.00%", "42"]
