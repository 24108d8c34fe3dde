"""An agent as two nodes: ``<name>`` asks its model, ``<name>_tools`` runs the tool calls it may make.

The model sees a bounded window of the thread (``graph.history``) with a note of the thread
context and the user's recollections; its reply is redacted before it is stored. Every tool call
goes through ``graph.tool_guard``: the authorisation policy for this agent and the user's role
(a denied call is answered ``refused`` with the code and never runs), the tool must be one of the
agent's own, results are redacted, screened for injected instructions and timed, and order calls
are audited. Each call counts against the per-turn budget; when the budget is spent the turn stops
with a message instead of running more calls.

Each model call goes through ``graph.model_call``: it is put on the usage ledger, and the turn's
dollar and token caps are checked against the ledger before and after it. A model-server failure
ends the turn with its one line (``model_error``; the runner raises it after the state is stored,
so the thread stays usable). A tool call whose arguments are not complete JSON, or fail the tool's
schema, is never run: the model is told what was wrong, at most ``limits.corrections`` times per
turn, then the turn stops and says so. An empty reply becomes an answer saying the model gave none.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.config import get_stream_writer
from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.tool_schemas import lean_tool
from errors import ModelServerError
from graph.agent_spec import AgentSpec
from graph.approval_nodes import build_approval_request, is_approval_required
from graph.context import GraphContext
from graph.history import model_input, thread_note
from graph.model_call import EMPTY_REPLY, CallScope, ModelFailure, call_model, gave_up, malformed_answers
from graph.routing import route_to_tool
from graph.side_turn import APPROVAL_PENDING, answering_for, changes_state
from graph.state import GraphState, new_budget
from graph.tool_guard import audit_order_call, authorize, observe_refused, run_tool, shield
from graph.turn_budget import over_budget, spent_so_far
from guardrails.authorization import ToolPolicy
from guardrails.redaction import redact, redact_value

ROUTE_TO = "route_to"


def _budget(state: GraphState) -> dict[str, Any]:
    return {**new_budget(), **(state.get("budget") or {})}


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


def redacted_reply(reply: AIMessage) -> AIMessage:
    """The model's message with secrets masked in its text and its tool-call arguments."""
    update: dict[str, Any] = {}
    if isinstance(reply.content, str) and redact(reply.content) != reply.content:
        update["content"] = redact(reply.content)
    if reply.tool_calls:
        calls = [{**c, "args": redact_value(c.get("args") or {})} for c in reply.tool_calls]
        if calls != list(reply.tool_calls):
            update["tool_calls"] = calls
    return reply.model_copy(update=update) if update else reply


def _model_failed(error: ModelServerError, budget: dict[str, Any], name: str) -> Command:
    return stop_turn("model_error", f"The model could not answer: {error.message}",
                     extra={"budget": budget, "route": [name],
                            "model_error": {"code": error.code, "message": error.message,
                                            "details": dict(error.details), "type": type(error).__name__}})


def make_agent_node(spec: AgentSpec):
    """The node that calls ``spec.model`` on a window of the thread and routes to its tools or back.

    After tool calls planned without a model (``preplanned``), the model only writes the answer: it is
    called without tools."""
    tools: list[BaseTool] = [*spec.tools, route_to_tool()]
    bound: list[Any] = []

    def model_with_tools() -> Any:
        """The model bound to the lean schemas of its tools, made on this agent's first call (about 5 ms a tool:
        a process resuming one thread, or running one turn, calls one or two of the five agents)."""
        if not bound:  # two threads may both bind on a first call; either result is the same
            try:  # the model sees lean schemas; every call is still validated against the full one before it runs
                bound.append(spec.model.bind_tools([lean_tool(t) for t in tools]))
            except NotImplementedError:  # scripted models decide their tool calls themselves
                bound.append(spec.model)
        return bound[0]

    prompt = SystemMessage(content=spec.system_prompt)

    def agent(state: GraphState, runtime: Runtime[GraphContext], config: RunnableConfig) -> Command:
        ctx = runtime.context or GraphContext()
        user = state.get("user") or {}
        turn_id = state.get("turn_id")
        budget = spent_so_far(_budget(state), ctx, turn_id)
        if (over := over_budget(budget)) is not None:
            return stop_turn(over[0], f"I stopped this turn: {over[1]}.", extra={"budget": budget})
        note = thread_note(state.get("thread_context"), state.get("recollections"))
        thread_id = (config.get("configurable") or {}).get("thread_id")
        scope = CallScope(spec.name, turn_id, answering_for(thread_id) if thread_id else None, user.get("user_id"),
                          user.get("id"))
        chosen = spec.model if state.get("preplanned") else model_with_tools()
        outcome = call_model(chosen, model_input(prompt, state.get("messages", []), note, ctx.history), scope, ctx)
        budget = spent_so_far(budget, ctx, turn_id)
        if isinstance(outcome, ModelFailure):
            return _model_failed(outcome.error, budget, spec.name)
        reply = redacted_reply(outcome.message)
        if not reply.name:
            reply = reply.model_copy(update={"name": spec.name})
        update = {"messages": [reply], "budget": budget, "route": [spec.name]}
        if outcome.malformed:
            budget["corrections_used"] = budget.get("corrections_used", 0) + 1
            if budget["corrections_used"] > ctx.limits.corrections:
                return stop_turn("malformed_tool_calls", gave_up(outcome.malformed), list(reply.tool_calls),
                                 {"budget": budget, "route": [spec.name]}, before=[reply])
            return Command(goto=spec.name, update={**update, "messages": [reply, *malformed_answers(
                reply, outcome.malformed)]})
        if outcome.empty:
            return Command(goto="supervisor", update={**update, "stop_reason": "empty_reply", "messages": [
                reply.model_copy(update={"content": EMPTY_REPLY})]})
        if reply.tool_calls:
            if (over := over_budget(budget)) is not None:
                return stop_turn(over[0], f"I stopped this turn: {over[1]}; the requested tool calls were not run.",
                                 list(reply.tool_calls), {"budget": budget, "route": [spec.name]}, before=[reply])
            return Command(goto=f"{spec.name}_tools", update=update)
        return Command(goto="supervisor", update=update)

    agent.__name__ = spec.name
    return agent


def _content(payload: Any) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload, default=str)


RESEARCH_TOOLS = ("backtest_strategy", "run_walk_forward")
INVALID_ARGUMENT_CODES = ("ValidationError", "ToolException", "TypeError")  # run_tool's codes for bad arguments


RECENT_RUNS = 5  # research runs the thread context remembers ("compare the last two runs")
MAX_REMEMBERED_ARGS_CHARS = 600  # a longer call is not kept for "the same for MSFT" (the context stays small)


def _last_run(name: str, args: dict[str, Any], payload: Any) -> dict[str, Any] | None:
    """The thread context entry for a finished research run (what "it" refers to next)."""
    summary = payload.get("summary") if isinstance(payload, dict) and payload.get("status") == "ok" else None
    if name not in RESEARCH_TOOLS or not isinstance(summary, dict) or "run_id" not in summary:
        return None
    return {"tool": name, "run_id": summary["run_id"], "kind": summary.get("kind"),
            "strategy_config": args.get("strategy_config"), "date_range": args.get("date_range") or {},
            "costs": args.get("costs") or {}}


def _order_id(name: str, payload: Any) -> str | None:
    """The client order id a placed (or approval-bound) order got: what "that order" refers to next."""
    if name != "place_order" or not isinstance(payload, dict):
        return None
    subject = payload.get("subject") if isinstance(payload.get("subject"), dict) else {}
    return payload.get("client_order_id") or subject.get("client_order_id") or (payload.get("details") or {}).get(
        "client_order_id")


def remembered(context: dict[str, Any] | None, name: str, args: dict[str, Any], payload: Any) -> dict[str, Any]:
    """The thread context after one tool call: the last call (for "the same for MSFT"), the last research run and
    the recent ones (for "it", "that run", "the last two runs"), the last order (for "did it fill?")."""
    context = dict(context or {})
    if name == ROUTE_TO:
        return context
    if len(json.dumps(args, default=str)) <= MAX_REMEMBERED_ARGS_CHARS:
        context["last_call"] = {"name": name, "args": args}
    else:
        context.pop("last_call", None)
    run = _last_run(name, args, payload)
    if run is not None:
        recent = [r for r in context.get("recent_runs") or [] if r.get("run_id") != run["run_id"]]
        context["last_run"] = run
        context["recent_runs"] = [*recent, {"run_id": run["run_id"], "kind": run["kind"]}][-RECENT_RUNS:]
    order_id = _order_id(name, payload)
    if order_id:
        context["last_order"] = {"client_order_id": order_id}
    return context


def make_tools_node(spec: AgentSpec, owners: dict[str, str], policy: dict[str, ToolPolicy] | None = None):
    """The node that runs the last AIMessage's tool calls that ``spec`` may make, refusing the rest."""
    own = {t.name: t for t in spec.tools}

    def tools(state: GraphState, runtime: Runtime[GraphContext], config: RunnableConfig) -> Command:
        ctx = runtime.context or GraphContext()
        write = get_stream_writer()
        calls = list(state["messages"][-1].tool_calls)
        budget = _budget(state)
        user = state.get("user") or {}
        scope = {"user": user.get("id"), "role": user.get("role"), "user_id": user.get("user_id"),
                 "thread_id": (config.get("configurable") or {}).get("thread_id"), "turn_id": state.get("turn_id")}
        messages: list[BaseMessage] = []
        approval: dict[str, Any] | None = None
        handoff: str | None = None
        flags: list[dict[str, Any]] = []
        context = dict(state.get("thread_context") or {})
        invalid_args = False
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
            elif state.get("read_only") and changes_state(name, policy):
                observe_refused(name, ctx)
                ok, payload = False, {"status": "refused", "tool": name, "code": APPROVAL_PENDING,
                                      "codes": [APPROVAL_PENDING], "message": "this thread waits for a decision on "
                                      "an approval; this would change something, so ask again once it is decided"}
            elif (refused := authorize(spec.name, name, user.get("role"), policy)) is not None:
                observe_refused(name, ctx)
                ok, payload = False, refused
                if name in own or name in owners:
                    audit_order_call(ctx, policy, name, args, payload, str(user.get("id") or ""), spec.name)
            elif name not in own:
                owner = owners.get(name)
                observe_refused(name, ctx)
                ok, payload = False, {
                    "status": "error", "code": "tool_not_allowed",
                    "message": (f"tool {name!r} belongs to the {owner} agent; the {spec.name} agent may not call it"
                                if owner else f"no tool named {name!r}; tools of {spec.name}: {sorted(own)}"),
                }
            else:
                payload, ok = run_tool(own[name], args, scope, config, ctx)
                payload = redact_value(payload)
                audit_order_call(ctx, policy, name, args, payload, str(user.get("id") or ""), spec.name)
                context = remembered(context, name, args, payload)
                if ok and is_approval_required(payload):
                    request = build_approval_request(payload, state=state, ctx=ctx, config=config,
                                                     already_pending=approval is not None)
                    if request.get("status") != "refused":
                        approval = {**request, "agent": spec.name, "tool_call_id": call_id, "tool": name}
                        write({"type": "tool_result", "agent": spec.name, "name": name, "ok": True,
                               "content": payload, "id": call_id})
                        continue  # answered after the decision, by the apply node
                    ok, payload = False, request
            if not ok and isinstance(payload, dict) and payload.get("code") in INVALID_ARGUMENT_CODES:
                invalid_args = True
            payload, flag = shield(name, payload)
            if flag is not None:
                flags.append(flag)
            write({"type": "tool_result", "agent": spec.name, "name": name, "ok": ok, "content": payload,
                   "id": call_id})
            messages.append(ToolMessage(content=_content(payload), tool_call_id=call_id, name=name,
                                        status="success" if ok else "error"))
        update: dict[str, Any] = {"messages": messages, "budget": budget, "route": [f"{spec.name}_tools"]}
        if invalid_args:  # the model was told what was wrong in the results; only so many times per turn
            budget["corrections_used"] = budget.get("corrections_used", 0) + 1
            if budget["corrections_used"] > ctx.limits.corrections:
                return stop_turn("invalid_tool_arguments", "I stopped this turn: the model kept calling tools with "
                                 "arguments that fail their schema; the last errors are in the tool results.",
                                 extra={"budget": budget, "route": [f"{spec.name}_tools"]}, before=messages)
        if flags:
            update["untrusted_flags"] = flags
        if context != (state.get("thread_context") or {}):
            update["thread_context"] = context
        if approval is not None:
            return Command(goto="request_approval", update={**update, "pending_approval": approval})
        if handoff is not None:
            return Command(goto="supervisor", update={**update, "next_agent": handoff})
        return Command(goto=spec.name, update=update)

    tools.__name__ = f"{spec.name}_tools"
    return tools

