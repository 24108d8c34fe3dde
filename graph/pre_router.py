"""The pre-router: a clear request goes straight to its tool calls, without a model call.

Used in front of a real model (the offline planner plans by itself). When the request's
understanding (``Understand``: today the offline planner's ``plan_request``; any function from
request text and thread context to a ``Plan`` fits, so a registry-based understanding can replace
it) gives tool calls that all belong to one agent and all pass their tool's argument schema, the
supervisor sends those calls to that agent's tools node as if the agent had asked for them; the
model is then called once, without tools, to write the answer. Anything else (not understood, a
refusal, calls across agents, arguments that fail a schema, ``@agent``) is left to the model.

The calls run through exactly the same guards as a model's: the allow-list, approvals, the risk
policy and the execution gate. The pre-router only saves model calls; it decides nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import ValidationError

from agents.understanding.plans import PlannedCall

PRE_ROUTED = "pre_routed"  # additional_kwargs flag of the AIMessage that carries the planned calls
_FORCED = re.compile(r"^\s*@(\w+)\b")


@dataclass(frozen=True)
class PreRoute:
    """The agent whose tools run ``calls`` (LangChain tool-call dicts with fresh ids)."""

    agent: str
    calls: tuple[dict[str, Any], ...]


Understand = Callable[[str, dict[str, Any] | None], Any]  # -> an object with .calls of (name, args), or other
PreRouter = Callable[[str, dict[str, Any] | None], PreRoute | None]


def planner_understanding(text: str, context: dict[str, Any] | None) -> Any:
    from agents.understanding import plan_request

    return plan_request(text, context)


def _planned(plan: Any) -> list[PlannedCall]:
    calls = getattr(plan, "calls", None)
    if not isinstance(calls, tuple | list):
        return []
    return [PlannedCall(str(c.name), dict(c.args)) for c in calls if getattr(c, "name", None)]


def _valid(tool: BaseTool, args: dict[str, Any]) -> bool:
    schema = tool.args_schema
    if schema is None or isinstance(schema, dict):
        return True
    try:
        schema.model_validate(args)
    except (ValidationError, ValueError, TypeError):
        return False
    return True


def plan_pre_router(tools_by_agent: Mapping[str, list[BaseTool]], understand: Understand = planner_understanding
                    ) -> PreRouter:
    """A pre-router over the agents' own tools (agent name -> tools)."""
    owner = {}
    for agent, tools in tools_by_agent.items():
        for tool in tools:
            owner.setdefault(tool.name, (agent, tool))

    def pre_route(text: str, thread_context: dict[str, Any] | None) -> PreRoute | None:
        if _FORCED.match(text):
            return None
        calls = _planned(understand(text, thread_context))
        owners = {owner[c.name][0] for c in calls if c.name in owner}
        if not calls or len(owners) != 1 or any(c.name not in owner for c in calls):
            return None
        if not all(_valid(owner[c.name][1], c.args) for c in calls):
            return None
        # ids derived from the request, so a replayed conversation sends the model the same messages
        stem = hashlib.sha256(text.encode()).hexdigest()[:10]
        return PreRoute(owners.pop(), tuple({"name": c.name, "args": c.args, "id": f"call_pre_{stem}_{i}",
                                             "type": "tool_call"} for i, c in enumerate(calls)))

    return pre_route
