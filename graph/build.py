"""``build_graph``: the supervisor, the five agents (model node + tools node each), and the approval nodes.

Nodes and edges (every node routes with ``Command(goto=...)``; ``destinations`` draws them):

    START -> supervisor
    supervisor -> data | strategy | risk | execution | monitoring | <agent>_tools (pre-routed) | END
    <agent> -> <agent>_tools (tool calls) | <agent> (malformed call) | supervisor (answer) | END (budget)
    <agent>_tools -> <agent> (results) | request_approval | supervisor (hand-off) | END (budget)
    request_approval -> approval -> apply_approval -> <agent that asked>
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graph.agent_nodes import make_agent_node, make_tools_node
from graph.agent_spec import AGENT_NAMES, agent_specs
from graph.approval_nodes import apply_approval, approval, request_approval
from graph.context import GraphContext
from graph.pre_router import plan_pre_router
from graph.routing import Router, intent_router, model_router
from graph.state import GraphState
from graph.supervisor import make_supervisor
from guardrails.authorization import ToolPolicy


def build_graph(
    agents: Mapping[str, Any],
    *,
    checkpointer: BaseCheckpointSaver | None,
    router: Router | None = None,
    supervisor_model: BaseChatModel | None = None,
    tool_policy: Mapping[str, ToolPolicy] | None = None,
    pre_route: bool = False,
) -> CompiledStateGraph:
    """Compile the quantpilot graph.

    ``agents`` maps each of data, strategy, risk, execution, monitoring to an ``AgentSpec`` (or an
    object with the same attributes, or a ``(model, tools)`` pair). Routing is ``router`` when
    given, else ``supervisor_model``'s ``route_to`` tool call, else keyword routing. Tool calls are
    authorised by ``tool_policy`` (default: ``guardrails.authorization.POLICY``). ``pre_route`` sends a clear
    request straight to its tool calls without a model call (``graph.pre_router``; for real models). Run it with
    ``context=GraphContext(...)``; approvals need a checkpointer (interrupts are persisted there).
    """
    specs = agent_specs(agents)
    policy = dict(tool_policy) if tool_policy is not None else None
    owners = {tool.name: spec.name for spec in specs.values() for tool in spec.tools}
    if router is None:
        first_owner: dict[str, str] = {}
        for spec in specs.values():
            for tool in spec.tools:
                first_owner.setdefault(tool.name, spec.name)
        router = model_router(supervisor_model) if supervisor_model is not None else intent_router(first_owner)
    pre_router = plan_pre_router({name: list(spec.tools) for name, spec in specs.items()}) if pre_route else None
    builder = StateGraph(GraphState, context_schema=GraphContext)
    builder.add_node("supervisor", make_supervisor(router, pre_router),
                     destinations=(*AGENT_NAMES, *(f"{name}_tools" for name in AGENT_NAMES), END))
    for name, spec in specs.items():
        builder.add_node(name, make_agent_node(spec), destinations=(name, f"{name}_tools", "supervisor", END))
        builder.add_node(f"{name}_tools", make_tools_node(spec, owners, policy),
                         destinations=(name, "request_approval", "supervisor", END))
    builder.add_node("request_approval", request_approval, destinations=("approval",))
    builder.add_node("approval", approval, destinations=("apply_approval",))
    builder.add_node("apply_approval", apply_approval, destinations=tuple(AGENT_NAMES))
    builder.add_edge(START, "supervisor")
    return builder.compile(checkpointer=checkpointer, name="quantpilot")
