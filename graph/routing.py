"""Supervisor routing: which of the five agents takes a request. Deterministic by default.

``keyword_route`` scores each agent by the keywords in the request (ties go to the earlier agent
in ``AGENT_NAMES``); ``@agent`` at the start forces the agent. A supervisor chat model may be used
instead: it is offered one tool, ``route_to(agent)``, and its tool call decides (keywords again
when it answers anything else).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import StructuredTool
from pydantic import BaseModel

from graph.agent_spec import AGENT_NAMES

Router = Callable[[str], str]

KEYWORDS: dict[str, tuple[str, ...]] = {
    "data": ("price", "prices", "bar", "bars", "data", "quote", "load", "ohlc", "history", "symbols", "volume", "news",
             "headlines"),
    "strategy": ("strategy", "strategies", "backtest", "walk-forward", "signal", "optimi", "parameter",
                 "promote", "promotion", "sharpe", "indicator"),
    "risk": ("risk", "limit", "limits", "var", "exposure", "drawdown", "stress", "kill switch", "breaker"),
    "execution": ("order", "orders", "buy", "sell", "execute", "submit", "cancel", "fill", "fills", "rebalance"),
    "monitoring": ("monitor", "status", "alert", "alerts", "pnl", "p&l", "health", "positions", "summary", "report"),
}
DEFAULT_AGENT = "monitoring"
_FORCED = re.compile(r"^\s*@(\w+)\b")


def keyword_route(text: str) -> str:
    """The agent whose keywords occur most often in ``text``; ``@name`` forces one; default monitoring."""
    forced = _FORCED.match(text)
    if forced and forced.group(1).lower() in AGENT_NAMES:
        return forced.group(1).lower()
    lowered = text.lower()
    words = re.findall(r"[a-z&\-]+", lowered)
    scores = {}
    for agent in AGENT_NAMES:
        score = 0
        for kw in KEYWORDS[agent]:
            if " " in kw or kw.endswith("i"):  # phrases and stems match as substrings
                score += lowered.count(kw)
            else:
                score += words.count(kw)
        scores[agent] = score
    best = max(AGENT_NAMES, key=lambda a: (scores[a], -AGENT_NAMES.index(a)))
    return best if scores[best] > 0 else DEFAULT_AGENT


def intent_router(owners: dict[str, str], fallback: Router = keyword_route) -> Router:
    """Route to the agent that owns the tool the request's intent needs (the deterministic rules the offline
    planner uses, read with the thread context, so "run a monte carlo on it" goes to the Strategy agent);
    ``@agent`` and anything unrecognised fall back to keywords.

    Keywords alone mis-route requests whose words belong to another agent's vocabulary ("positions"
    in "reconcile my positions", "max_open_positions" in a limit change)."""

    def route(text: str, context: dict[str, Any] | None = None) -> str:
        if _FORCED.match(text):
            return fallback(text)
        from agents.understanding import plan_request, planned_tool

        tool = planned_tool(plan_request(text, context))
        return owners[tool] if tool in owners else fallback(text)

    route.reads_context = True  # type: ignore[attr-defined]
    return route


def choose_agent(router: Router, text: str, context: dict[str, Any] | None) -> str:
    """``router``'s agent for ``text``; a router that reads the thread context (``reads_context``) gets it."""
    if getattr(router, "reads_context", False):
        return router(text, context)  # type: ignore[call-arg]
    return router(text)


class RouteToArgs(BaseModel):
    agent: Literal["data", "strategy", "risk", "execution", "monitoring"]
    request: str = ""


def route_to_tool() -> StructuredTool:
    """The hand-off tool: the supervisor's only tool, and offered to every agent to pass a request on."""

    def route_to(agent: str, request: str = "") -> str:
        return f"routing to {agent}"

    return StructuredTool.from_function(
        route_to, name="route_to", args_schema=RouteToArgs,
        description="Hand the request to another agent.",
    )


SUPERVISOR_PROMPT = (
    "You route each request of a trading assistant to exactly one agent by calling route_to(agent). "
    "data: market data; strategy: strategies, backtests, promotions; risk: limits and risk checks; "
    "execution: orders; monitoring: status, positions, alerts."
)


def model_router(model: BaseChatModel, fallback: Router = keyword_route) -> Router:
    """A router that asks ``model`` (bound to ``route_to``) and falls back to keywords on anything else."""
    try:
        bound = model.bind_tools([route_to_tool()], tool_choice="route_to")
    except NotImplementedError:
        bound = model

    def route(text: str) -> str:
        reply = bound.invoke([SystemMessage(SUPERVISOR_PROMPT), HumanMessage(text)])
        for call in getattr(reply, "tool_calls", None) or []:
            agent = str(call.get("args", {}).get("agent", "")).lower()
            if call.get("name") == "route_to" and agent in AGENT_NAMES:
                return agent
        return fallback(text)

    return route
