"""Tool authorisation: which agent may call which tool, for a user of which role.

Each tool performs one ``guardrails.policy.Operation``; its minimum role is that operation's in the
one policy table, so a tool call needs exactly the role the same operation needs on every other
interface. Each tool also has the agents that own it; calls from an agent need both. Operator actions
a model must never take (answering approvals, changing settings) belong to no agent and are allowed
only to a person acting directly through an interface (``agent=None``). Unknown tools and agents are
denied: the table is the allow-list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from guardrails.policy import POLICY as OPERATIONS
from guardrails.policy import Operation, Role

AGENTS: tuple[str, ...] = ("data", "strategy", "risk", "execution", "monitoring")
ALL_AGENTS = frozenset(AGENTS)
HUMAN_ONLY: frozenset[str] = frozenset()  # owned by no agent: only a person may do it


@dataclass(frozen=True)
class ToolPolicy:
    """The operation a tool performs and the agents that own it; ``places_orders`` marks execution-placing tools."""

    operation: Operation
    agents: frozenset[str]
    places_orders: bool = False

    @property
    def min_role(self) -> Role:
        return OPERATIONS[self.operation].min_role


def _p(operation: Operation, *agents: str, places_orders: bool = False) -> ToolPolicy:
    return ToolPolicy(operation, frozenset(agents), places_orders)


_O = Operation

POLICY: dict[str, ToolPolicy] = {
    # data
    "fetch_historical_data": _p(_O.READ_MARKET_DATA, "data"),  # loading a missing symbol needs LOAD_DATA too
    "validate_data_quality": _p(_O.READ_MARKET_DATA, "data"),
    "check_data_freshness": _p(_O.READ_MARKET_DATA, "data", "monitoring"),
    "fetch_news": _p(_O.READ_MARKET_DATA, "data"),
    # strategy research: computing on stored data reads; a recorded run is research
    "list_strategies": _p(_O.READ_STRATEGIES, "strategy"),
    "compute_features": _p(_O.ANALYSE, "strategy"),
    "load_model": _p(_O.ANALYSE, "strategy"),
    "generate_signals": _p(_O.ANALYSE, "strategy"),
    "backtest_strategy": _p(_O.RUN_RESEARCH, "strategy"),
    "run_walk_forward": _p(_O.RUN_RESEARCH, "strategy"),
    "run_monte_carlo": _p(_O.RUN_RESEARCH, "strategy"),
    "optimize_portfolio": _p(_O.RUN_RESEARCH, "strategy", "risk"),
    "compare_runs": _p(_O.READ_RESEARCH, "strategy", "monitoring"),
    # risk
    "check_position_size": _p(_O.ANALYSE, "risk", "execution"),
    "compute_portfolio_exposure": _p(_O.READ_TRADING, "risk", "monitoring"),
    "check_kill_switch": _p(_O.READ_TRADING, "risk", "execution", "monitoring"),
    "generate_risk_report": _p(_O.READ_TRADING, "risk", "monitoring"),
    "get_risk_limits": _p(_O.READ_TRADING, "risk", "execution"),
    "stress_test": _p(_O.ANALYSE, "risk"),
    "propose_risk_limit_change": _p(_O.PROPOSE_LIMIT_CHANGE, "risk"),  # the change needs its own approval
    "set_kill_switch": _p(_O.ENGAGE_KILL_SWITCH, "risk"),  # releasing only asks for the resume approval
    # execution
    "place_order": _p(_O.PLACE_ORDER, "execution", places_orders=True),
    "check_order_status": _p(_O.READ_TRADING, "execution", "monitoring"),
    "get_positions": _p(_O.READ_TRADING, "execution", "risk", "monitoring"),
    "reconcile_positions": _p(_O.RECONCILE, "execution"),
    # monitoring
    "collect_metrics": _p(_O.READ_TRADING, "monitoring"),
    "check_service_health": _p(_O.READ_MARKET_DATA, "monitoring"),
    "send_alert": _p(_O.SEND_ALERT, "monitoring"),
    "generate_daily_summary": _p(_O.READ_TRADING, "monitoring"),
    # ladder and memory
    "request_promotion": _p(_O.REQUEST_PROMOTION, "strategy", "execution"),
    "recall": _p(_O.CHAT, *AGENTS),
    # operator actions: never an agent's
    "approve_request": ToolPolicy(_O.DECIDE_APPROVAL, HUMAN_ONLY),
    "reject_request": ToolPolicy(_O.DECIDE_APPROVAL, HUMAN_ONLY),
    "update_settings": ToolPolicy(_O.CHANGE_SETTINGS, HUMAN_ONLY),
    "set_risk_limits": ToolPolicy(_O.CHANGE_SETTINGS, HUMAN_ONLY),
    "enable_live_trading": ToolPolicy(_O.CHANGE_SETTINGS, HUMAN_ONLY),
    "manage_users": ToolPolicy(_O.MANAGE_USERS, HUMAN_ONLY),
}


class DenialCode(StrEnum):
    UNKNOWN_TOOL = "unknown_tool"
    UNKNOWN_AGENT = "unknown_agent"
    AGENT_NOT_ALLOWED = "agent_not_allowed"
    HUMAN_ONLY = "human_only"
    ROLE_TOO_LOW = "role_too_low"


@dataclass(frozen=True)
class Allowed:
    tool_name: str
    agent: str | None
    role: Role

    @property
    def allowed(self) -> bool:
        return True


@dataclass(frozen=True)
class Denied:
    """A refused tool call: a code, one sentence saying why, and the facts behind it."""

    code: DenialCode
    reason: str
    details: dict = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return False


def authorize_tool_call(
    agent: str | None, tool_name: str, role: Role | str, policy: dict[str, ToolPolicy] | None = None
) -> Allowed | Denied:
    """May ``agent`` (None: a person acting directly) call ``tool_name`` for a user with ``role``?"""
    table = POLICY if policy is None else policy
    user_role = Role.parse(role)
    facts = {"agent": agent, "tool": tool_name, "role": user_role.value}
    rule = table.get(tool_name)
    if rule is None:
        return Denied(DenialCode.UNKNOWN_TOOL, f"tool {tool_name!r} is not in the authorisation policy", facts)
    if agent is not None:
        if agent not in ALL_AGENTS:
            return Denied(DenialCode.UNKNOWN_AGENT, f"agent {agent!r} is not one of {', '.join(AGENTS)}", facts)
        if not rule.agents:
            return Denied(
                DenialCode.HUMAN_ONLY, f"{tool_name} is a person's decision; no agent may call it", facts
            )
        if agent not in rule.agents:
            owners = ", ".join(sorted(rule.agents))
            return Denied(
                DenialCode.AGENT_NOT_ALLOWED,
                f"the {agent} agent may not call {tool_name} (owned by: {owners})",
                {**facts, "owners": sorted(rule.agents)},
            )
    if not user_role.allows(rule.min_role):
        needed = rule.min_role.value
        return Denied(
            DenialCode.ROLE_TOO_LOW,
            f"{tool_name} needs the {needed} role; the user is a {user_role.value}",
            {**facts, "required_role": needed},
        )
    return Allowed(tool_name, agent, user_role)


def tools_for(agent: str, role: Role | str) -> list[str]:
    """The tools ``agent`` may call for a user with ``role``, sorted by name."""
    return sorted(name for name in POLICY if authorize_tool_call(agent, name, role).allowed)
