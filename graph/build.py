"""``build_graph``: the supervisor, the five agents (model node + tools node each), and the approval nodes.

Nodes and edges (every node routes with ``Command(goto=...)``; ``destinations`` draws them):

    START -> supervisor
    supervisor -> data | strategy | risk | execution | monitoring | END
    <agent> -> <agent>_tools (tool calls) | supervisor (answer) | END (budget)
    <agent>_tools -> <agent> (results) | request_approval | supervisor (hand-off) | END (budget)
    request_approval -> approval -> apply_approval -> <agent that asked>
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from graph.agent_nodes import make_agent_node, make_tools_node, stop_turn
from graph.agent_spec import AGENT_NAMES, agent_specs
from graph.approval_nodes import apply_approval, approval, request_approval
from graph.context import GraphContext
from graph.routing import Router, keyword_route, model_router
from graph.state import GraphState


def make_supervisor(router: Router):
    """Route a new request to one agent; end the turn once an agent has answered."""

    def supervisor(state: GraphState, runtime: Runtime[GraphContext]) -> Command:
        ctx = runtime.context or GraphContext()
        messages = state.get("messages", [])
        hops = state.get("hops", 0)
        target = state.get("next_agent")
        if target is None and messages and isinstance(messages[-1], HumanMessage):
            target = router(str(messages[-1].content))
        if target is None:
            return Command(goto=END, update={"route": ["supervisor"]})
        if hops >= ctx.max_hops:
            return stop_turn("hop_limit", f"I stopped this turn: the request went through {hops} agents "
                                          "without an answer.", extra={"route": ["supervisor"], "next_agent": None})
        return Command(goto=target, update={"route": ["supervisor"], "next_agent": None, "hops": hops + 1})

    return supervisor


def build_graph(
    agents: Mapping[str, Any],
    *,
    checkpointer: BaseCheckpointSaver | None,
    router: Router | None = None,
    supervisor_model: BaseChatModel | None = None,
) -> CompiledStateGraph:
    """Compile the quantpilot graph.

    ``agents`` maps each of data, strategy, risk, execution, monitoring to an ``AgentSpec`` (or an
    object with the same attributes, or a ``(model, tools)`` pair). Routing is ``router`` when
    given, else ``supervisor_model``'s ``route_to`` tool call, else keyword routing. Run it with
    ``context=GraphContext(...)``; approvals need a checkpointer (interrupts are persisted there).
    """
    specs = agent_specs(agents)
    owners = {tool.name: spec.name for spec in specs.values() for tool in spec.tools}
    if router is None:
        router = model_router(supervisor_model) if supervisor_model is not None else keyword_route
    builder = StateGraph(GraphState, context_schema=GraphContext)
    builder.add_node("supervisor", make_supervisor(router), destinations=(*AGENT_NAMES, END))
    for name, spec in specs.items():
        builder.add_node(name, make_agent_node(spec), destinations=(f"{name}_tools", "supervisor", END))
        builder.add_node(f"{name}_tools", make_tools_node(spec, owners),
                         destinations=(name, "request_approval", "supervisor", END))
    builder.add_node("request_approval", request_approval, destinations=("approval",))
    builder.add_node("approval", approval, destinations=("apply_approval",))
    builder.add_node("apply_approval", apply_approval, destinations=tuple(AGENT_NAMES))
    builder.add_edge(START, "supervisor")
    return builder.compile(checkpointer=checkpointer, name="quantpilot")
