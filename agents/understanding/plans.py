"""What the offline planner makes of a request: tool calls (``Plan``), a refusal (``PlanRefusal``), or a reply
that needs no tool (``Reply``: help, a question back, a pointer to the command that does it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PlannedCall:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    calls: tuple[PlannedCall, ...]


@dataclass(frozen=True)
class PlanRefusal:
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A plain answer. ``tool`` names the tool the request is about when one is (a question back such as
    "which run?"), so the supervisor can still route it to the agent that owns that tool."""

    kind: str  # help | clarify | elsewhere
    text: str
    tool: str | None = None


def one(name: str, **args: Any) -> Plan:
    return Plan((PlannedCall(name, args),))
