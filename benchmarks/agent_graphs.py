"""The two graphs ``benchmarks/agent_turn.py`` times, driven by the same scripted chat model and tools.

- quantpilot: ``graph.build.build_graph`` with five agents (the ``data`` agent does the work),
  routed to ``data`` without a model call, authorised by the production policy plus the two
  benchmark tools.
- plain LangGraph, the same shape: ``supervisor`` (a routing function) -> ``agent`` (one model
  node) -> ``tools`` (``ToolNode``) -> ``agent`` -> END; an ``approval`` node calling
  ``interrupt()`` when a tool asks for one, whose answer goes back to the agent as the tool result.
  With ``same_nodes=True`` it also has the steps quantpilot's design adds, each empty (store the request,
  apply the decision, answer back to the supervisor): what those steps cost in LangGraph alone.
The scripted model calls one tool per turn, then answers with the tool's result; no network.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Command, interrupt

from graph.agent_spec import AGENT_NAMES, AgentSpec
from graph.build import build_graph
from guardrails.authorization import POLICY, ToolPolicy
from guardrails.policy import Operation

LOOKUP, ASK_APPROVAL = "data_lookup", "request_limit_change"


class ScriptedChatModel(BaseChatModel):
    """Calls ``tool_name`` once per turn (a turn starts at the last human message), then answers with
    the last tool result. ``bind_tools`` is not implemented: the script decides the calls itself."""

    tool_name: str = LOOKUP
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted-benchmark"

    def _generate(self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        last_human = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        turn = messages[last_human + 1:]
        results = [m for m in turn if isinstance(m, ToolMessage)]
        self.calls += 1
        if results:
            reply = AIMessage(content=f"answer: {results[-1].content}")
        else:
            call = {"name": self.tool_name, "args": {"text": str(messages[last_human].content)[:40]},
                    "id": f"call_{self.calls}", "type": "tool_call"}
            reply = AIMessage(content="", tool_calls=[call])
        return ChatResult(generations=[ChatGeneration(message=reply)])


def lookup_tool() -> BaseTool:
    def data_lookup(text: str = "") -> dict[str, Any]:
        return {"status": "ok", "symbol": "AAPL", "close": 187.25, "echo": text}

    return StructuredTool.from_function(data_lookup, name=LOOKUP, description="look up a price")


def approval_tool() -> BaseTool:
    """Asks for a risk-limit approval (a kind that needs no strategy registry)."""

    def request_limit_change(text: str = "") -> dict[str, Any]:
        return {"status": "approval_required", "kind": "risk_limit", "subject": {"limit_change_id": "lc_bench"},
                "evidence": {"max_position_pct": 10}, "requested_by": "tool", "reason": "raise the position limit"}

    return StructuredTool.from_function(request_limit_change, name=ASK_APPROVAL, description="ask for approval")


BENCH_POLICY: dict[str, ToolPolicy] = {**POLICY, LOOKUP: ToolPolicy(Operation.READ_MARKET_DATA, frozenset({"data"})),
                                       ASK_APPROVAL: ToolPolicy(Operation.READ_MARKET_DATA, frozenset({"data"}))}


def quantpilot_graph(checkpointer: Any, tool_name: str = LOOKUP):
    """quantpilot's graph; every request is routed to the ``data`` agent, which calls ``tool_name``."""
    tools = [lookup_tool(), approval_tool()]
    agents = {name: AgentSpec(name=name, system_prompt=f"You are the {name} agent.", prompt_version="bench-1",
                              tools=tools if name == "data" else [], model=ScriptedChatModel(tool_name=tool_name))
              for name in AGENT_NAMES}
    return build_graph(agents, checkpointer=checkpointer, router=lambda text: "data", tool_policy=BENCH_POLICY)


def plain_graph(checkpointer: Any, tool_name: str = LOOKUP, *, same_nodes: bool = False):
    """A plain LangGraph graph of the same shape (supervisor -> agent <-> tools, approval interrupt).

    ``same_nodes``: also the steps quantpilot's design requires, each doing nothing: a node that stores the
    request before the interrupt, one that applies the decision after it (side effects never sit in the
    interrupted node, which re-runs on resume), and the agent's answer going back to the supervisor. It is
    what those steps cost in LangGraph itself, apart from anything quantpilot does in them."""
    model = ScriptedChatModel(tool_name=tool_name)

    def supervisor(state: MessagesState) -> Command:
        answered = same_nodes and isinstance(state["messages"][-1], AIMessage)
        return Command(goto=END if answered else "agent")

    def agent(state: MessagesState) -> Command:
        reply = model.invoke(state["messages"])
        return Command(goto="tools" if reply.tool_calls else ("supervisor" if same_nodes else END),
                       update={"messages": [reply]})

    def after_tools(state: MessagesState) -> str:
        last = state["messages"][-1]
        try:
            payload = json.loads(last.content) if isinstance(last.content, str) else None
        except json.JSONDecodeError:
            payload = None
        if isinstance(payload, dict) and payload.get("status") == "approval_required":
            return "request" if same_nodes else "approval"
        return "agent"

    def approval(state: MessagesState) -> dict:
        last = state["messages"][-1]
        answer = interrupt(json.loads(last.content))
        return {"messages": [ToolMessage(content=json.dumps(answer, default=str), tool_call_id=last.tool_call_id,
                                         id=last.id, name=last.name)]}

    builder = StateGraph(MessagesState)
    builder.add_node("supervisor", supervisor, destinations=("agent", END))
    builder.add_node("agent", agent, destinations=("tools", "supervisor", END))
    builder.add_node("tools", ToolNode([lookup_tool(), approval_tool()]))
    builder.add_node("approval", approval)
    builder.add_edge(START, "supervisor")
    if same_nodes:
        builder.add_node("request", lambda state: {})
        builder.add_node("apply", lambda state: {})
        builder.add_edge("request", "approval")
        builder.add_edge("approval", "apply")
        builder.add_edge("apply", "agent")
        builder.add_conditional_edges("tools", after_tools, ["request", "agent"])
    else:
        builder.add_edge("approval", "agent")
        builder.add_conditional_edges("tools", after_tools, ["approval", "agent"])
    return builder.compile(checkpointer=checkpointer, name="plain")


class InMemoryApprovals:
    """The two ``ApprovalStore`` calls the graph makes, kept in a dict (the in-memory variants have no
    database; the Postgres variant uses ``memory.approvals.ApprovalStore``)."""

    def __init__(self) -> None:
        self.requests: dict[str, dict[str, Any]] = {}

    def save_request(self, request: dict[str, Any], *, then: Any = None) -> bool:
        if request["id"] in self.requests:
            return False
        self.requests[request["id"]] = {**request, "status": "pending"}
        if then is not None:
            then(None)
        return True

    def close(self, approval_id: str, status: str, outcome: dict[str, Any], closed_at: Any, *,
              then: Any = None) -> bool:
        if self.requests[approval_id].get("closed_at") is not None:
            return False
        self.requests[approval_id].update(status=status, outcome=outcome, closed_at=closed_at)
        if then is not None:
            then(None)
        return True
