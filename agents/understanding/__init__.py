"""Plain request -> tool calls, by rules: the offline planner's understanding of language.

``plan_request(text, context)`` returns a ``Plan`` (tool calls with arguments), a ``PlanRefusal`` (the request
asks to get around an approval or a guardrail), a ``Reply`` (help, a question back, or where a person does it)
or None (not understood). ``context`` is the thread context the graph puts in front of every model call, so
"run a walk-forward of it", "promote this strategy to paper" and "the same for MSFT" resolve. Strategy and
indicator names come from their registries, limit names from the risk policy. What keeps orders safe is the
execution gate below the model, not these rules.
"""

from __future__ import annotations

from typing import Any

from agents.understanding import data, ladder, operations, research, risk, trading
from agents.understanding.conversation import bypass, follow_up, help_request
from agents.understanding.plans import Plan, PlannedCall, PlanRefusal, Reply
from agents.understanding.request import Request

# first match wins: the kill switch and promotions before research; questions about the past before new runs
_FIRST = (risk.kill_switch, trading.reconcile, operations.recall)
RULES = (risk.kill_switch, *ladder.RULES, trading.reconcile, operations.recall, *research.RULES,
         *(r for group in (risk.RULES, trading.RULES) for r in group if r not in _FIRST), *data.RULES,
         *(r for r in operations.RULES if r not in _FIRST), follow_up)


def plan_request(text: str, context: dict[str, Any] | None = None) -> Plan | PlanRefusal | Reply | None:
    """What ``text`` asks for, read with the thread ``context`` (see the module docstring)."""
    request = Request(text.strip(), dict(context or {}))
    refused = bypass(request)
    if refused is not None:
        return refused
    helped = help_request(request)
    if helped is not None:
        return helped
    for rule in RULES:
        planned = rule(request)
        if planned is not None:
            return planned
    return None


def planned_tool(plan: Plan | PlanRefusal | Reply | None) -> str | None:
    """The first tool a plan calls, or the tool a question back is about (what decides the agent)."""
    if isinstance(plan, Plan) and plan.calls:
        return plan.calls[0].name
    return plan.tool if isinstance(plan, Reply) else None


__all__ = ["Plan", "PlanRefusal", "PlannedCall", "Reply", "plan_request", "planned_tool"]
