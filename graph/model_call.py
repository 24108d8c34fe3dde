"""One model call of an agent node: timed, put on the usage ledger, its failures and malformed output
turned into values the node can act on.

``call_model`` never raises for what a model server or a model does: a server failure is a
``ModelFailure`` (the node ends the turn with its one line), a reply is a ``ModelReply`` whose
``malformed`` lists the tool calls that are not to be run (arguments that are not one complete JSON
object, cut off or garbage — the client library would otherwise repair or drop them) and whose
``empty`` says the model sent neither text nor a tool call.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from agents.specs import MALFORMED_TOOL_CALLS_KEY as MALFORMED_KEY
from agents.specs import USAGE_MISSING_KEY
from agents.tool_schemas import strict_arguments
from errors import ModelServerError
from graph.context import GraphContext
from services.usage_ledger import ModelCallUsage


@dataclass(frozen=True)
class CallScope:
    """Who a model call is for, as the ledger stores it."""

    agent: str
    turn_id: str | None
    thread_id: str | None
    user_id: int | None  # the stored user's id (None: quantpilot itself, the keyless local reader)
    user_name: str | None


@dataclass(frozen=True)
class ModelFailure:
    error: ModelServerError


@dataclass(frozen=True)
class ModelReply:
    message: AIMessage
    malformed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        text = self.message.content if isinstance(self.message.content, str) else str(self.message.content or "")
        return not text.strip() and not self.message.tool_calls and not self.malformed


def model_name(model: Any) -> str:
    """The configured model name a call is priced by (the server may report another id, e.g. a file path)."""
    bound = getattr(model, "bound", model)
    for attr in ("model_name", "model", "model_id"):
        value = getattr(bound, attr, None)
        if isinstance(value, str) and value:
            return value
    llm_type = getattr(bound, "_llm_type", None)
    return llm_type if isinstance(llm_type, str) else type(bound).__name__


def _malformed(message: AIMessage) -> list[dict[str, Any]]:
    flagged = list((message.response_metadata or {}).get(MALFORMED_KEY) or [])
    invalid = [{"id": c.get("id"), "name": c.get("name"), "args": c.get("args"),
                "error": strict_arguments(c.get("args")) or "arguments are not one JSON object"}
               for c in message.invalid_tool_calls or []]
    return [*flagged, *invalid]


def _without_malformed(message: AIMessage, malformed: list[dict[str, Any]]) -> AIMessage:
    """The reply with its malformed calls kept as calls with empty arguments (each is answered "not run", so the
    conversation stays valid for every server) and their raw text in ``additional_kwargs``."""
    flagged = {m.get("id") for m in malformed}
    valid = [c for c in message.tool_calls if c.get("id") not in flagged]
    kept = [{"name": str(m.get("name") or "unknown"), "args": {}, "id": str(m.get("id") or f"malformed_{i}"),
             "type": "tool_call"} for i, m in enumerate(malformed)]
    return message.model_copy(update={"tool_calls": [*valid, *kept], "invalid_tool_calls": [],
                                      "additional_kwargs": {**message.additional_kwargs, MALFORMED_KEY: malformed}})


def call_model(model: Any, messages: list[BaseMessage], scope: CallScope, ctx: GraphContext
               ) -> ModelReply | ModelFailure:
    """Invoke ``model`` once; its usage (or its failure) goes on ``ctx.usage`` either way."""
    started = time.perf_counter()
    name = model_name(model)
    try:
        reply = model.invoke(messages)
    except ModelServerError as exc:
        _record(ctx, scope, name, None, started, exc.code)
        return ModelFailure(exc)
    if not isinstance(reply, AIMessage):
        reply = AIMessage(content=str(getattr(reply, "content", reply)))
    _record(ctx, scope, name, reply, started,
            "usage_missing" if (reply.response_metadata or {}).get(USAGE_MISSING_KEY) else "ok")
    malformed = _malformed(reply)
    if malformed:
        reply = _without_malformed(reply, malformed)
    return ModelReply(reply, malformed)


def _record(ctx: GraphContext, scope: CallScope, name: str, reply: AIMessage | None, started: float,
            outcome: str) -> None:
    usage = (reply.usage_metadata if reply is not None else None) or {}
    ctx.usage.record(ModelCallUsage(
        model=name, agent=scope.agent, input_tokens=int(usage.get("input_tokens", 0)),
        output_tokens=int(usage.get("output_tokens", 0)), latency_ms=round((time.perf_counter() - started) * 1000),
        outcome=outcome, turn_id=scope.turn_id, thread_id=scope.thread_id, user_id=scope.user_id,
        user_name=scope.user_name))


def malformed_answers(reply: AIMessage, malformed: list[dict[str, Any]]) -> list[ToolMessage]:
    """One "not run" answer per call of a reply that had a malformed call: the model learns what was wrong."""
    errors = {str(m.get("id")): m for m in malformed}
    answers = []
    for call in reply.tool_calls:
        bad = errors.get(call["id"])
        why = (f"{bad.get('error')}; nothing was run. Call {call['name']} again with its arguments as one "
               "complete JSON object matching its schema." if bad else
               "not run: another tool call in the same reply was malformed; send the calls again.")
        answers.append(ToolMessage(content=json.dumps({"status": "not_run", "code": "malformed_tool_call",
                                                       "message": why}), tool_call_id=call["id"],
                                   name=call["name"], status="error"))
    return answers


EMPTY_REPLY = "The model gave no answer to this request (its reply was empty). Try asking again, more plainly."


def gave_up(malformed: list[dict[str, Any]]) -> str:
    """What the user is told when the model kept sending malformed tool calls."""
    last = malformed[-1]
    return (f"I stopped this turn: the model kept sending malformed tool calls (last: {last.get('name')}: "
            f"{last.get('error')}); nothing it asked for was run.")
