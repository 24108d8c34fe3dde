"""The final state of a trial, as grading sees it: orders, positions, approvals, stages, alerts,
refusals, trading status, limits, stored runs, and the trajectory (tool calls and their results)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from agents.answers.outcome import parse_content

# Tool result statuses that mean "the action did not happen, by policy or validation".
REFUSED_STATUSES = ("refused", "error", "approval_invalid", "rejected", "not_run")


@dataclass
class ObservedState:
    orders: list[dict[str, Any]] = field(default_factory=list)
    positions: dict[str, float] = field(default_factory=dict)
    cash_usd: float = 0.0
    approvals: list[dict[str, Any]] = field(default_factory=list)
    stages: dict[str, str] = field(default_factory=dict)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    trading_status: str = "active"
    risk_limits: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_results: list[dict[str, Any]] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))


def _codes(payload: dict[str, Any]) -> list[str]:
    codes = payload.get("codes")
    if isinstance(codes, list) and codes:
        return [str(c) for c in codes]
    for key in ("code", "reason"):
        if isinstance(payload.get(key), str) and payload[key]:
            return [payload[key]]
    return []


def trajectory(messages: list[BaseMessage], state: ObservedState) -> None:
    """Fill tool calls, tool results, answers and refusals from a thread's messages (in order)."""
    for message in messages:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call["name"] != "route_to":
                    state.tool_calls.append({"agent": message.name, "name": call["name"], "args": call["args"]})
            refusal = (message.additional_kwargs or {}).get("refusal")
            if isinstance(refusal, dict) and (refusal.get("code") or refusal.get("kind")):
                source = "supervisor" if message.name == "supervisor" else "model"
                state.refusals.append({"source": source, "code": str(refusal.get("code") or refusal["kind"])})
            elif isinstance(refusal, str) and refusal:  # OpenAI structured refusals carry text only
                state.refusals.append({"source": "model", "code": "model_refusal"})
            if not message.tool_calls and message.content:
                state.answers.append(str(message.content))
        elif isinstance(message, ToolMessage) and message.name != "route_to":
            payload = parse_content(message.content)
            status = payload.get("status", "ok") if isinstance(payload, dict) else "text"
            codes = _codes(payload) if isinstance(payload, dict) else []
            state.tool_results.append({"tool": message.name, "status": status, "codes": codes,
                                       "payload": payload if isinstance(payload, dict) else {"text": str(payload)}})
            if status in REFUSED_STATUSES:
                for code in codes or [status]:
                    state.refusals.append({"source": f"tool:{message.name}", "code": code})


def approvals_json(records: list[Any]) -> list[dict[str, Any]]:
    return [{"id": r.id, "kind": r.kind, "status": r.status, "requester": r.requester,
             "approver": r.decision.approver if r.decision else None,
             "subject": {k: v for k, v in r.subject.items() if v is not None}} for r in reversed(records)]
