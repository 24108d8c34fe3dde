"""The supervisor graph with scripted models: routing, per-agent tool authorisation, budgets, streaming."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from langchain_core.messages import AIMessage

from config import ModelPrice
from errors import ConfigError
from graph.agent_spec import AGENT_NAMES
from graph.context import GraphContext, TurnLimits
from graph.routing import keyword_route, model_router
from graph.runner import ChatSession, FinalEvent, StepEvent, ToolCallEvent, ToolResultEvent, run_turn
from memory.checkpoint import in_memory_checkpointer
from services.model_prices import PriceTable
from services.usage_ledger import UsageLedger
from tests.unit.graph.scripted import (
    ScriptedChatModel,
    agents_with,
    approval_tool,
    call,
    calls_then_answer,
    echo_tool,
    scripted_graph,
    tool_payloads,
)

USER = {"id": "alice", "role": "trader"}
REQUESTS = {
    "data": "load daily bars and prices for AAPL",
    "strategy": "backtest an SMA crossover strategy",
    "risk": "what is my risk exposure and drawdown limit",
    "execution": "buy 10 shares, submit the order",
    "monitoring": "give me a status summary and alerts",
}


def _thread() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def _messages(graph, thread_id):
    return graph.get_state({"configurable": {"thread_id": thread_id}}).values["messages"]


@pytest.mark.parametrize("agent", AGENT_NAMES)
def test_each_request_is_routed_to_its_agent_which_uses_its_own_tool(agent):
    graph = scripted_graph(agents_with(), checkpointer=in_memory_checkpointer())

    turn = run_turn(graph, _thread(), USER, REQUESTS[agent])

    assert turn.route == ["supervisor", agent, f"{agent}_tools", agent, "supervisor"]
    assert turn.tool_calls == [{"name": f"{agent}_lookup", "args": {"text": agent}}]
    assert turn.answer.startswith("answer:") and f'"tool": "{agent}_lookup"' in turn.answer


def test_keyword_router_follows_forced_prefix_and_defaults_to_monitoring():
    assert keyword_route("@risk buy 100 AAPL") == "risk"
    assert keyword_route("hello there") == "monitoring"


def test_a_supervisor_model_routes_by_its_route_to_tool_call():
    chooser = ScriptedChatModel(respond=lambda m: AIMessage(content="", tool_calls=[call("route_to", agent="risk")]))
    graph = scripted_graph(agents_with(), checkpointer=in_memory_checkpointer(), supervisor_model=chooser)

    turn = run_turn(graph, _thread(), USER, "load prices for AAPL")  # keywords would say data

    assert turn.route[1] == "risk"


def test_a_supervisor_model_answering_nonsense_falls_back_to_keywords():
    chooser = ScriptedChatModel(respond=lambda m: AIMessage(content="", tool_calls=[call("route_to", agent="x")]))
    assert model_router(chooser)("load prices for AAPL") == "data"


def test_a_call_to_another_agents_tool_is_refused_by_the_authorisation_policy():
    sneaky = calls_then_answer([call("execution_lookup", text="place it")])
    graph = scripted_graph(agents_with({"data": sneaky}), checkpointer=in_memory_checkpointer())
    thread = _thread()

    turn = run_turn(graph, thread, USER, "load prices for AAPL")

    refusal = tool_payloads(_messages(graph, thread))[-1]
    assert refusal["status"] == "refused" and refusal["code"] == "agent_not_allowed"
    assert refusal["details"]["owners"] == ["execution"]
    assert "execution_tools" not in turn.route and turn.route[1:3] == ["data", "data_tools"]


def test_an_invented_tool_name_is_refused_as_not_in_the_allow_list():
    graph = scripted_graph(agents_with({"risk": calls_then_answer([call("delete_everything")])}),
                        checkpointer=in_memory_checkpointer())
    thread = _thread()
    run_turn(graph, thread, USER, "risk limits please")
    refusal = tool_payloads(_messages(graph, thread))[-1]
    assert refusal["status"] == "refused" and refusal["code"] == "unknown_tool"
    assert "delete_everything" in refusal["message"]


def test_invalid_tool_arguments_come_back_as_an_error_result_not_a_crash():
    graph = scripted_graph(agents_with({"data": calls_then_answer([call("data_lookup", text={"not": "a string"})])}),
                        checkpointer=in_memory_checkpointer())
    thread = _thread()
    run_turn(graph, thread, USER, "load prices")
    assert tool_payloads(_messages(graph, thread))[-1]["status"] == "error"


def test_an_agent_can_hand_a_request_to_another_agent():
    handoff = calls_then_answer([call("route_to", agent="risk", request="check limits first")])
    graph = scripted_graph(agents_with({"execution": handoff}), checkpointer=in_memory_checkpointer())

    turn = run_turn(graph, _thread(), USER, "buy 10 AAPL")

    assert turn.route[:6] == ["supervisor", "execution", "execution_tools", "supervisor", "risk", "risk_tools"]


def test_the_turn_stops_cleanly_when_the_tool_call_budget_is_spent():
    greedy = calls_then_answer(*[[call("data_lookup", text=str(i))] for i in range(10)])
    graph = scripted_graph(agents_with({"data": greedy}), checkpointer=in_memory_checkpointer())
    thread = _thread()

    turn = run_turn(graph, thread, USER, "load prices", max_tool_calls=3)

    assert turn.stop_reason == "budget_tool_calls"
    assert turn.usage["tool_calls"] == 3
    assert "limit of 3 tool calls" in turn.answer
    ran = [p for p in tool_payloads(_messages(graph, thread)) if p.get("tool") == "data_lookup"]
    assert len(ran) == 3
    assert tool_payloads(_messages(graph, thread))[-1] == {"status": "not_run", "reason": "budget_tool_calls"}


def test_the_turn_stops_cleanly_when_the_dollar_budget_is_spent():
    costly = calls_then_answer(*[[call("data_lookup", text=str(i))] for i in range(10)], tokens=1000)
    graph = scripted_graph(agents_with({"data": costly}), checkpointer=in_memory_checkpointer())
    # $20 per 1M input tokens: 1,000 tokens a call = $0.02 a call
    priced = GraphContext(usage=UsageLedger(prices=PriceTable({"scripted": ModelPrice(
        input_usd_per_1m=Decimal(20), output_usd_per_1m=Decimal(20))})))

    turn = run_turn(graph, _thread(), USER, "load prices", context=priced, max_usd=0.05)  # 3 calls = $0.06

    assert turn.stop_reason == "budget_usd"
    assert turn.usage["usd"] == pytest.approx(0.06)
    assert turn.usage["model_calls"] == 3
    assert turn.usage["input_tokens"] == 3000
    assert turn.usage["tool_calls"] == 2  # the third call's tool requests were not run


def test_the_turn_stops_cleanly_when_the_token_budget_is_spent():
    costly = calls_then_answer(*[[call("data_lookup", text=str(i))] for i in range(10)], tokens=1000)
    graph = scripted_graph(agents_with({"data": costly}), checkpointer=in_memory_checkpointer())
    capped = GraphContext(limits=TurnLimits(max_tokens=2500))

    turn = run_turn(graph, _thread(), USER, "load prices", context=capped)

    assert turn.stop_reason == "budget_tokens"
    assert "2,500 tokens per turn" in turn.answer
    assert turn.usage["input_tokens"] == 3000  # the third call crossed the cap: its tool requests did not run
    assert turn.usage["tool_calls"] == 2


def test_the_budget_resets_at_each_turn():
    graph = scripted_graph(agents_with(), checkpointer=in_memory_checkpointer())
    session = ChatSession(graph, USER)
    first, second = session.send("load prices", max_tool_calls=1), session.send("load prices", max_tool_calls=1)
    assert (first.stop_reason, second.stop_reason) == (None, None)
    assert second.usage["tool_calls"] == 1


def test_stream_shows_steps_tool_calls_and_results_and_ends_with_the_result():
    graph = scripted_graph(agents_with(), checkpointer=in_memory_checkpointer())

    events = list(ChatSession(graph, USER).stream("what is my risk exposure"))

    assert [e.node for e in events if isinstance(e, StepEvent)] == ["supervisor", "risk", "risk_tools", "risk",
                                                                      "supervisor"]
    assert [(e.agent, e.name) for e in events if isinstance(e, ToolCallEvent)] == [("risk", "risk_lookup")]
    assert [e.ok for e in events if isinstance(e, ToolResultEvent)] == [True]
    assert isinstance(events[-1], FinalEvent) and events[-1].result.answer.startswith("answer:")


def test_an_approval_request_without_an_approval_store_is_refused_not_lost():
    tool = approval_tool("request_promotion", "paper", {"strategy_id": "s1", "to_stage": "paper"}, {})
    graph = scripted_graph(agents_with({"strategy": calls_then_answer([call("request_promotion")])},
                                    {"strategy": [tool]}), checkpointer=in_memory_checkpointer())
    thread = _thread()
    turn = run_turn(graph, thread, USER, "promote s1 to paper", context=GraphContext())
    assert turn.pending_approval is None
    assert tool_payloads(_messages(graph, thread))[-1]["code"] == "approvals_unavailable"


def test_the_graph_refuses_an_incomplete_agent_mapping():
    agents = agents_with()
    del agents["risk"]
    with pytest.raises(ConfigError, match="risk"):
        scripted_graph(agents, checkpointer=None)


def test_agents_may_be_given_as_model_and_tools_pairs():
    pairs = {name: (calls_then_answer(), [echo_tool(f"{name}_lookup")]) for name in AGENT_NAMES}
    turn = run_turn(scripted_graph(pairs, checkpointer=in_memory_checkpointer()), _thread(), USER, "status please")
    assert turn.answer == "answer: nothing to do"
