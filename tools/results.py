"""Typed tool results. Every tool returns one of these dumped to a JSON-ready dict: summaries and ids,
never bulk data. ``status`` tells a model (and the graph) what happened without parsing prose.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_RESULT_CHARS = 8_000  # a tool result must fit comfortably in a model's context


class ToolResult(BaseModel):
    """Base of every successful result."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["ok"] = "ok"


class Unavailable(BaseModel):
    """The backing service or resource is not there (not built yet, no network, no broker configured)."""

    status: Literal["unavailable"] = "unavailable"
    tool: str
    reason: str
    missing: str | None = None


class Failure(BaseModel):
    """A ``QuantpilotError`` raised by the service: its machine code, message and details."""

    status: Literal["error"] = "error"
    tool: str
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class Refusal(BaseModel):
    """The request was refused by policy; ``codes`` are machine-readable reason codes."""

    status: Literal["refused"] = "refused"
    tool: str
    codes: list[str]
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ApprovalRequired(BaseModel):
    """The action needs a recorded human approval before it may happen; the graph's approval node
    turns this into an ``interrupt()``. ``kind`` names the approval (strategy, paper, live,
    risk_limit, order), ``subject`` what is to be approved, ``evidence`` the facts behind it."""

    status: Literal["approval_required"] = "approval_required"
    kind: str
    subject: dict[str, Any]
    evidence: dict[str, Any] = Field(default_factory=dict)
    requested_by: str
    reason: str = ""


class Summary(ToolResult):
    """A service's own result, cut down to scalars, short lists and small dicts (see ``compact_value``)."""

    tool: str
    summary: dict[str, Any]


MAX_LIST_ITEMS = 20
MAX_TEXT_CHARS = 500


def compact_value(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data no bigger than a summary: long lists are cut to their first items
    (with a count), nesting below three levels is dropped, frames/arrays become their shape."""
    if hasattr(value, "to_dict") and not isinstance(value, dict) and not hasattr(value, "shape"):
        value = value.to_dict()
    elif hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        value = asdict(value)
    elif isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if hasattr(value, "shape"):
        return {"shape": list(getattr(value, "shape", ())), "kind": type(value).__name__}
    if isinstance(value, dict):
        if depth >= 3:
            return {"keys": len(value)}
        items = list(value.items())
        out = {str(k): compact_value(v, depth + 1) for k, v in items[:MAX_LIST_ITEMS * 2]}
        if len(items) > MAX_LIST_ITEMS * 2:
            out["_truncated_keys"] = len(items)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        seq = list(value)
        head = [compact_value(v, depth + 1) for v in seq[:MAX_LIST_ITEMS]]
        return head if len(seq) <= MAX_LIST_ITEMS else {"first": head, "count": len(seq)}
    if isinstance(value, str):
        return value[:MAX_TEXT_CHARS]
    if isinstance(value, float) and value != value:
        return None
    if value is None or isinstance(value, bool | int | float):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return compact_value(value.item(), depth)
    return str(value)[:MAX_TEXT_CHARS]
