"""An agent as two nodes: ``<name>`` asks its model, ``<name>_tools`` runs the tool calls it may make.

Authorisation is by construction: a tool call is run only if the tool is in this agent's own
list; any other name (another agent's tool, an invented one) is answered with an error
ToolMessage. Each call counts against the per-turn budget; when the budget is spent the turn
stops with a message instead of running more calls.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, ToolException
from langgraph.config import get_stream_writer
from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import BaseModel, ValidationError

from errors import QuantpilotError
from graph.agent_spec import AgentSpec
from graph.approval_nodes import build_approval_request, is_approval_required
from graph.context import GraphContext
from graph.routing import route_to_tool
from graph.state import GraphState, new_budget

ROUTE_TO = "route_to"


def _budget(state: GraphState) -> dict[str, Any]:
    return dict(state.get("budget") or new_budget())


def stop_turn(reason: str, text: str, unanswered: list[dict[str, Any]] | None = None,
              extra: dict[str, Any] | None = None, before: list[BaseMessage] | None = None) -> Command:
    """End the turn cleanly: answer every open tool call as not run, then say why we stopped."""
    messages: list[BaseMessage] = [*(before or []), *[
        ToolMessage(content=json.dumps({"status": "not_run", "reason": reason}), tool_call_id=c["id"],
                    name=c["name"], status="error")
        for c in unanswered or []
    ]]
    messages.append(AIMessage(content=text, name="supervisor"))
    return Command(goto=END, update={"messages": messages, "stop_reason": reason, **(extra or {})})


def _cost_usd(message: AIMessage, spec: AgentSpec) -> float:
    usage = message.usage_metadata or {}
    return float(usage.get("total_tokens", 0)) * spec.usd_per_1k_tokens / 1000.0


def make_agent_node(spec: AgentSpec):
    """The node that calls ``spec.model`` on the thread's messages and routes to its tools or back."""
    tools: list[BaseTool] = [*spec.tools, route_to_tool()]
    try:
        model = spec.model.bind_tools(tools)
    except NotImplementedError:  # scripted models decide their tool calls themselves
        model = spec.model
    prompt = SystemMessage(content=spec.system_prompt)

    def agent(state: GraphState) -> Command:
        budget = _budget(state)
        if budget["usd_used"] >= budget["max_usd"] > 0:
            return stop_turn("budget_usd", f"I stopped this turn: the model budget of ${budget['max_usd']:.2f} "
                                           f"per turn is spent (${budget['usd_used']:.4f} used).")
        reply = model.invoke([prompt, *state.get("messages", [])])
        if not isinstance(reply, AIMessage):
            reply = AIMessage(content=str(getattr(reply, "content", reply)))
        if not reply.name:
            reply = reply.model_copy(update={"name": spec.name})
        budget["usd_used"] = round(budget["usd_used"] + _cost_usd(reply, spec), 6)
        update = {"messages": [reply], "budget": budget, "route": [spec.name]}
        if reply.tool_calls:
            if budget["max_usd"] > 0 and budget["usd_used"] > budget["max_usd"]:
                return stop_turn("budget_usd", f"I stopped this turn: the model budget of ${budget['max_usd']:.2f} "
                                               "per turn is spent; the requested tool calls were not run.",
                                 list(reply.tool_calls), {"budget": budget, "route": [spec.name]}, before=[reply])
            return Command(goto=f"{spec.name}_tools", update=update)
        return Command(goto="supervisor", update=update)

    agent.__name__ = spec.name
    return agent


def _payload(output: Any) -> Any:
    if isinstance(output, BaseModel):
        return output.model_dump(mode="json")
    if isinstance(output, str):
        try:
            return json.loads(output)
        except ValueError:
            return output
    return output


def _content(payload: Any) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload, default=str)


def _run_tool(tool: BaseTool, args: dict[str, Any]) -> tuple[Any, bool]:
    """(payload, ok). Argument errors and deliberate service errors become error payloads."""
    try:
        return _payload(tool.invoke(args)), True
    except (ValidationError, ToolException, QuantpilotError, ValueError, TypeError) as exc:
        code = getattr(exc, "code", exc.__class__.__name__)
        return {"status": "error", "tool": tool.name, "code": code, "message": str(exc)}, False


def make_tools_node(spec: AgentSpec, owners: dict[str, str]):
    """The node that runs the last AIMessage's tool calls that ``spec`` may make, refusing the rest."""
    own = {t.name: t for t in spec.tools}

    def tools(state: GraphState, runtime: Runtime[GraphContext], config: RunnableConfig) -> Command:
        ctx = runtime.context or GraphContext()
        write = get_stream_writer()
        calls = list(state["messages"][-1].tool_calls)
        budget = _budget(state)
        messages: list[BaseMessage] = []
        approval: dict[str, Any] | None = None
        handoff: str | None = None
        for i, call in enumerate(calls):
            if budget["tool_calls_used"] >= budget["max_tool_calls"]:
                unanswered = calls[i:] + ([c for c in calls if c["id"] == approval["tool_call_id"]] if approval else [])
                return stop_turn(
                    "budget_tool_calls",
                    f"I stopped this turn: the limit of {budget['max_tool_calls']} tool calls per turn was reached.",
                    unanswered, {"budget": budget, "route": [f"{spec.name}_tools"]}, before=messages,
                )
            budget["tool_calls_used"] += 1
            name, args, call_id = call["name"], call.get("args", {}), call["id"]
            write({"type": "tool_call", "agent": spec.name, "name": name, "args": args, "id": call_id})
            if name == ROUTE_TO:
                target = str(args.get("agent", "")).lower()
                ok = target in owners.values() and target != spec.name
                handoff = target if ok else handoff
                payload = {"status": "ok" if ok else "error", "routed_to": target} if ok else {
                    "status": "error", "code": "unknown_agent", "message": f"no agent {target!r}"}
            elif name not in own:
                owner = owners.get(name)
                ok, payload = False, {
                    "status": "error", "code": "tool_not_allowed",
                    "message": (f"tool {name!r} belongs to the {owner} agent; the {spec.name} agent may not call it"
                                if owner else f"no tool named {name!r}; tools of {spec.name}: {sorted(own)}"),
                }
            else:
                payload, ok = _run_tool(own[name], args)
                if ok and is_approval_required(payload):
                    request = build_approval_request(payload, state=state, ctx=ctx, config=config,
                                                     already_pending=approval is not None)
                    if request.get("status") != "refused":
                        approval = {**request, "agent": spec.name, "tool_call_id": call_id, "tool": name}
                        write({"type": "tool_result", "agent": spec.name, "name": name, "ok": True,
                               "content": payload, "id": call_id})
                        continue  # answered after the decision, by the apply node
                    ok, payload = False, request
            write({"type": "tool_result", "agent": spec.name, "name": name, "ok": ok, "content": payload,
                   "id": call_id})
            messages.append(ToolMessage(content=_content(payload), tool_call_id=call_id, name=name,
                                        status="success" if ok else "error"))
        update: dict[str, Any] = {"messages": messages, "budget": budget, "route": [f"{spec.name}_tools"]}
        if approval is not None:
            return Command(goto="request_approval", update={**update, "pending_approval": approval})
        if handoff is not None:
            return Command(goto="supervisor", update={**update, "next_agent": handoff})
        return Command(goto=spec.name, update=update)

    tools.__name__ = f"{spec.name}_tools"
    return tools

