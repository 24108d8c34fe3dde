"""Tool authorisation: which agent may call which tool, for a user of which role.

Roles are ordered ``viewer < trader < approver < admin``. Each tool has a minimum role and the
agents that own it. Calls from an agent need both; operator actions a model must never take
(answering approvals, changing settings) belong to no agent and are allowed only to a person
acting directly through an interface (``agent=None``). Unknown tools and agents are denied:
the table is the allow-list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from errors import ConfigError


class Role(IntEnum):
    VIEWER = 0
    TRADER = 1
    APPROVER = 2
    ADMIN = 3

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        if isinstance(value, Role):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError as exc:
            names = ", ".join(r.name.lower() for r in cls)
            raise ConfigError(f"unknown role {value!r}; expected one of {names}", details={"role": value}) from exc


AGENTS: tuple[str, ...] = ("data", "strategy", "risk", "execution", "monitoring")
ALL_AGENTS = frozenset(AGENTS)
HUMAN_ONLY: frozenset[str] = frozenset()  # owned by no agent: only a person may do it


@dataclass(frozen=True)
class ToolPolicy:
    """Minimum role and owning agents of one tool; ``places_orders`` marks execution-placing tools."""

    min_role: Role
    agents: frozenset[str]
    places_orders: bool = False


def _p(role: Role, *agents: str, places_orders: bool = False) -> ToolPolicy:
    return ToolPolicy(role, frozenset(agents), places_orders)


V, T, A, ADM = Role.VIEWER, Role.TRADER, Role.APPROVER, Role.ADMIN

POLICY: dict[str, ToolPolicy] = {
    # data
    "fetch_historical_data": _p(V, "data"),
    "validate_data_quality": _p(V, "data"),
    "check_data_freshness": _p(V, "data", "monitoring"),
    "fetch_news": _p(V, "data"),
    # strategy research: reads and computes, changes nothing outside its own run records
    "list_strategies": _p(V, "strategy"),
    "compute_features": _p(V, "strategy"),
    "load_model": _p(V, "strategy"),
    "generate_signals": _p(V, "strategy"),
    "backtest_strategy": _p(V, "strategy"),
    "run_walk_forward": _p(V, "strategy"),
    "run_monte_carlo": _p(V, "strategy"),
    "optimize_portfolio": _p(V, "strategy", "risk"),
    "compare_runs": _p(V, "strategy", "monitoring"),
    # risk
    "check_position_size": _p(V, "risk", "execution"),
    "compute_portfolio_exposure": _p(V, "risk", "monitoring"),
    "check_kill_switch": _p(V, "risk", "execution", "monitoring"),
    "generate_risk_report": _p(V, "risk", "monitoring"),
    "get_risk_limits": _p(V, "risk", "execution"),
    "stress_test": _p(V, "risk"),
    "propose_risk_limit_change": _p(T, "risk"),  # only proposes: the change needs its own approval
    # halting affects every strategy and releasing it resumes trading: an approver's call
    "set_kill_switch": _p(A, "risk"),
    # execution
    "place_order": _p(T, "execution", places_orders=True),
    "cancel_order": _p(T, "execution", places_orders=True),
    "check_order_status": _p(V, "execution", "monitoring"),
    "get_positions": _p(V, "execution", "risk", "monitoring"),
    "reconcile_positions": _p(T, "execution"),
    # monitoring
    "collect_metrics": _p(V, "monitoring"),
    "check_service_health": _p(V, "monitoring"),
    "send_alert": _p(T, "monitoring"),
    "generate_daily_summary": _p(V, "monitoring"),
    # ladder and memory
    "request_promotion": _p(T, "strategy", "execution"),
    "recall": _p(V, *AGENTS),
    "remember": _p(T, *AGENTS),
    # operator actions: never an agent's
    "approve_request": ToolPolicy(A, HUMAN_ONLY),
    "reject_request": ToolPolicy(A, HUMAN_ONLY),
    "update_settings": ToolPolicy(ADM, HUMAN_ONLY),
    "set_risk_limits": ToolPolicy(ADM, HUMAN_ONLY),
    "enable_live_trading": ToolPolicy(ADM, HUMAN_ONLY),
    "manage_users": ToolPolicy(ADM, HUMAN_ONLY),
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
    facts = {"agent": agent, "tool": tool_name, "role": user_role.name.lower()}
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
    if user_role < rule.min_role:
        needed = rule.min_role.name.lower()
        return Denied(
            DenialCode.ROLE_TOO_LOW,
            f"{tool_name} needs the {needed} role; the user is a {user_role.name.lower()}",
            {**facts, "required_role": needed},
        )
    return Allowed(tool_name, agent, user_role)


def tools_for(agent: str, role: Role | str) -> list[str]:
    """The tools ``agent`` may call for a user with ``role``, sorted by name."""
    return sorted(name for name in POLICY if authorize_tool_call(agent, name, role).allowed)
