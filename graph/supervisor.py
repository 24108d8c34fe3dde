"""The supervisor node: screens each user request, recalls what the user's memory holds about it,
routes it to one agent, and checks the final answer's numbers before the turn ends.

- ``classify_request`` runs on every new user message; an unsafe request (bypass an approval, go
  live unapproved, change limits silently, reveal secrets, impersonate) ends the turn with the
  structured refusal and is never routed to an agent.
- ``check_numbers`` runs on the answer against this turn's tool results (and the user's own
  message); numbers no result supports are listed in ``ungrounded_numbers``, and the answer is replaced by
  the answer writer's text from the same results (a note says why), or, without results, gets a note.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command
from sqlalchemy.exc import SQLAlchemyError

from agents.answers import turn_outcomes, write_answer
from errors import QuantpilotError
from graph.agent_nodes import stop_turn
from graph.context import GraphContext
from graph.pre_router import PRE_ROUTED, PreRoute, PreRouter
from graph.routing import Router, choose_agent
from graph.state import GraphState
from graph.tool_guard import audit
from guardrails.output_check import check_numbers
from guardrails.redaction import RedactingFilter, redact
from guardrails.refusals import classify_request

log = logging.getLogger("quantpilot.graph.supervisor")
log.addFilter(RedactingFilter())


def _refuse(text: str, state: GraphState, ctx: GraphContext) -> Command | None:
    verdict = classify_request(text)
    if not verdict.refused:
        return None
    refusal = {"status": "refused", "kind": verdict.kind.value, "message": verdict.refusal}
    ctx.meter().rejections.labels(code=f"request_{verdict.kind.value}").inc()
    audit(ctx, str((state.get("user") or {}).get("id") or "anonymous"), "request_refused",
          f"request:{verdict.kind.value}", {"kind": verdict.kind.value, "request": text[:300]})
    message = AIMessage(content=f"Refused ({verdict.kind.value}): {verdict.refusal}", name="supervisor",
                        additional_kwargs={"refusal": refusal})
    return Command(goto=END, update={"messages": [message], "stop_reason": "refused", "refusal": refusal,
                                     "route": ["supervisor"], "next_agent": None})


def _recall(text: str, state: GraphState, ctx: GraphContext) -> list[dict[str, Any]]:
    """The user's top-k memories for this request (redacted); empty without memory or on a storage error."""
    user = (state.get("user") or {}).get("id")
    if ctx.memory is None or not user or ctx.recall_k < 1:
        return []
    try:
        hits = ctx.memory.recall(str(user), text, k=ctx.recall_k)
    except (QuantpilotError, SQLAlchemyError, OSError) as exc:
        log.warning("recall failed for %s: %s", user, exc)
        return []
    # only memories close to this request reach a model: an unrelated one costs tokens on every call
    return [{"id": h.id, "kind": str(getattr(h.kind, "value", h.kind)), "score": round(float(h.score), 3),
             "text": redact(h.text)} for h in hits if float(h.score) >= ctx.recall_min_score]


def _turn(messages: list[BaseMessage]) -> tuple[str, list[Any]]:
    """(this turn's user text, this turn's tool results as parsed JSON)."""
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    results = []
    for m in messages[last_human + 1:]:
        if isinstance(m, ToolMessage):
            try:
                results.append(json.loads(m.content) if isinstance(m.content, str) else m.content)
            except ValueError:
                results.append(m.content)
    return (str(messages[last_human].content) if last_human >= 0 else ""), results


def check_answer(state: GraphState) -> dict[str, Any]:
    """The update that flags the answer's unsupported numbers (empty list and no note when all are backed)."""
    messages = list(state.get("messages", []))
    answer = messages[-1] if messages and isinstance(messages[-1], AIMessage) else None
    if answer is None or answer.tool_calls or not isinstance(answer.content, str) or not answer.content:
        return {"ungrounded_numbers": []}
    asked, results = _turn(messages)
    ungrounded = check_numbers(answer.content, [*results, asked])
    if not ungrounded:
        return {"ungrounded_numbers": []}
    outcomes = turn_outcomes(messages)
    if outcomes:  # the answer writer's text, from the same results, is the fallback
        content = (write_answer(outcomes) + f"\n\n(The model's answer quoted {', '.join(ungrounded)}, which no tool "
                   "result in this turn backs; this answer is written from the tool results instead.)")
    else:
        content = answer.content + (f"\n\n(Check: {', '.join(ungrounded)} is not backed by any tool result in this "
                                    "turn; treat it as unverified.)")
    return {"ungrounded_numbers": ungrounded, "messages": [answer.model_copy(update={"content": content})]}


def _pre_routed(route: PreRoute, update: dict[str, Any], hops: int) -> Command:
    """Send the planned calls to the agent's tools node as the agent's own request (no model call)."""
    planned = AIMessage(content="", name=route.agent, tool_calls=list(route.calls),
                        additional_kwargs={PRE_ROUTED: True})
    return Command(goto=f"{route.agent}_tools", update={**update, "messages": [planned], "next_agent": None,
                                                       "hops": hops + 1, "preplanned": True})


def make_supervisor(router: Router, pre_router: PreRouter | None = None):
    """Screen and route a new request; end the turn (after the output check) once an agent has answered.
    With a ``pre_router``, a clear request goes straight to its tool calls (``graph.pre_router``)."""

    def supervisor(state: GraphState, runtime: Runtime[GraphContext]) -> Command:
        ctx = runtime.context or GraphContext()
        messages = state.get("messages", [])
        hops = state.get("hops", 0)
        target = state.get("next_agent")
        update: dict[str, Any] = {"route": ["supervisor"]}
        if target is None and messages and isinstance(messages[-1], HumanMessage):
            text = str(messages[-1].content)
            refused = _refuse(text, state, ctx)
            if refused is not None:
                return refused
            update["recollections"] = _recall(text, state, ctx)
            planned = pre_router(text, state.get("thread_context")) if pre_router is not None else None
            if planned is not None:
                return _pre_routed(planned, update, hops)
            target = choose_agent(router, text, state.get("thread_context"))
        if target is None:
            return Command(goto=END, update={**update, **check_answer(state)})
        if hops >= ctx.max_hops:
            return stop_turn("hop_limit", f"I stopped this turn: the request went through {hops} agents "
                                          "without an answer.", extra={"route": ["supervisor"], "next_agent": None})
        return Command(goto=target, update={**update, "next_agent": None, "hops": hops + 1})

    return supervisor
