"""The pre-router in front of a real model: a clear request runs its tool call without a model call and the
model only writes the answer (one call, no tools offered); anything else is the model's to plan, and a
single-tool request then costs two model calls."""

from __future__ import annotations

import uuid

from agents import build_agents
from agents.providers import make_chat_model
from config import ModelProvider, Settings
from graph.build import build_graph
from graph.pre_router import plan_pre_router
from graph.runner import run_turn
from memory.checkpoint import in_memory_checkpointer
from tests.support.openai_server import scripted_openai_server, text, tool
from tools import ToolContext

USER = {"id": "dana", "role": "trader"}


def _graph(url: str):
    settings = Settings(model_provider=ModelProvider.OPENAI, model_name="local", openai_base_url=url,
                        model_max_retries=0)
    agents = build_agents(settings, ToolContext(settings=settings), model=make_chat_model(settings))
    return build_graph(agents, checkpointer=in_memory_checkpointer(), pre_route=True)


def test_a_clear_request_runs_its_tool_without_a_model_call_and_one_call_writes_the_answer():
    with scripted_openai_server(text("Your limits are in place.")) as server:
        turn = run_turn(_graph(server.url), f"t-{uuid.uuid4().hex[:8]}", USER, "show risk limits")
    assert [c["name"] for c in turn.tool_calls] == ["get_risk_limits"]
    assert len(server.requests) == 1 and "tools" not in server.requests[0]  # the answer only
    assert turn.answer == "Your limits are in place." and turn.usage["model_calls"] == 1
    assert "get_risk_limits" in server.requests[0]["messages"][-2]["tool_calls"][0]["function"]["name"]


def test_a_request_the_pre_router_does_not_understand_is_planned_by_the_model_in_two_calls():
    replies = [tool("get_risk_limits", "{}"), text("Here they are.")]
    with scripted_openai_server(*replies) as server:
        turn = run_turn(_graph(server.url), f"t-{uuid.uuid4().hex[:8]}", USER, "@risk what do you make of it all?")
    assert [c["name"] for c in turn.tool_calls] == ["get_risk_limits"]
    assert len(server.requests) == 2 and all(r["tool_choice"] == "auto" for r in server.requests)
    assert turn.usage["model_calls"] == 2


def test_calls_across_agents_or_failing_their_schema_are_left_to_the_model():
    settings = Settings()
    tools = {name: list(spec.tools) for name, spec in build_agents(settings, ToolContext(settings=settings)).items()}

    def understand(plan_calls):
        from agents.understanding.plans import Plan, PlannedCall

        return plan_pre_router(tools, lambda text, context: Plan(tuple(PlannedCall(n, a) for n, a in plan_calls)))

    across = understand([("get_risk_limits", {}), ("get_positions", {})])
    invalid = understand([("stress_test", {"shock_pct": -500})])
    single = understand([("stress_test", {"shock_pct": -20})])
    assert across("x", None) is None and invalid("x", None) is None
    routed = single("stress test", None)
    assert routed.agent == "risk" and routed.calls[0]["args"] == {"shock_pct": -20}
