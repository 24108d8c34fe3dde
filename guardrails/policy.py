"""Who may do what: one Role, one Actor, one policy table, the same on every interface.

Every service operation that reads private data or changes state takes an ``Actor`` (the
authenticated person, their role and the channel they came through) and asks ``require(actor,
operation)`` before doing anything. Interfaces (API, web, Slack, MCP, CLI, the agents' tools) only
turn their credential into an Actor; none has a rule of its own, so the same request gets the same
answer everywhere. Roles are ordered ``viewer < trader < approver < admin``: each may do everything
the roles below it may.

The kill switch: engaging it (halt, cancel open orders) is the safe direction and needs only the
trader role, on every interface; flattening positions as well sells at market and is an approver's
call; turning it off needs an approved resume request decided by someone else. A paper account halted
by its own breaker leaves the halt the same way: an approved reset of its breaker baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from errors import ConfigError, PermissionDenied


class Role(StrEnum):
    """Roles in increasing power; each role may do everything the roles below it may."""

    VIEWER = "viewer"  # reads
    TRADER = "trader"  # runs research, loads data, places (approval-gated) orders, requests approvals
    APPROVER = "approver"  # decides other people's approval requests
    ADMIN = "admin"  # manages users, links and settings

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, required: Role) -> bool:
        """Whether a holder of this role may do what ``required`` may."""
        return self.rank >= required.rank

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        """``value`` as a Role (case-insensitive); ConfigError naming the roles when it is none."""
        if isinstance(value, Role):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError as exc:
            raise ConfigError(f"unknown role {value!r}; roles: {', '.join(r.value for r in cls)}",
                              code="unknown_role", details={"role": str(value)}) from exc


_RANK = {role: i for i, role in enumerate(Role)}


class Channel(StrEnum):
    """The interface a request came through (the audit log's channel)."""

    CLI = "cli"
    API = "api"
    WEB = "web"
    SLACK = "slack"
    MCP = "mcp"
    AGENT = "graph"  # a tool call inside an agent turn, acting for the thread's user
    SYSTEM = "system"  # quantpilot itself: breakers, recovery, schedules


@dataclass(frozen=True)
class Actor:
    """An authenticated person acting through one channel. ``user_id`` is the stored user's id; ``None`` only
    for quantpilot itself (``Actor.system``) and the keyless local reader of the CLI (``Actor.local_reader``)."""

    user_id: int | None
    name: str
    role: Role
    channel: Channel

    @classmethod
    def system(cls, reason: str = "system") -> Actor:
        """quantpilot acting on its own (a breaker trip, start-up recovery, a schedule): never a person."""
        return cls(None, reason, Role.ADMIN, Channel.SYSTEM)

    @classmethod
    def local_reader(cls) -> Actor:
        """The CLI without an API key: may read, and nothing else."""
        return cls(None, "local", Role.VIEWER, Channel.CLI)

    @property
    def is_person(self) -> bool:
        return self.user_id is not None

    def via(self, channel: Channel) -> Actor:
        """The same person acting through ``channel`` (an agent's tool call on behalf of its thread's user)."""
        return Actor(self.user_id, self.name, self.role, channel)

    def to_dict(self) -> dict[str, object]:
        return {"user_id": self.user_id, "name": self.name, "role": self.role.value, "channel": self.channel.value}


class Operation(StrEnum):
    """Every operation the services offer that reads private data or changes state."""

    READ_MARKET_DATA = "read_market_data"
    ANALYSE = "analyse"  # read-only computations on stored data: features, signals, exposure, stress tests
    READ_RESEARCH = "read_research"
    READ_STRATEGIES = "read_strategies"
    READ_APPROVALS = "read_approvals"
    READ_TRADING = "read_trading"  # positions, orders, risk state and limits, daily summary
    CHAT = "chat"
    LOAD_DATA = "load_data"
    RUN_RESEARCH = "run_research"  # backtests, grids, walk-forwards, Monte Carlo, optimisation
    MANAGE_STRATEGY = "manage_strategy"
    REQUEST_PROMOTION = "request_promotion"
    PLACE_ORDER = "place_order"
    CANCEL_ORDER = "cancel_order"
    RECONCILE = "reconcile"
    RUN_PAPER = "run_paper"
    MOVE_MARKET_CLOCK = "move_market_clock"  # a paper account's simulated clock: advance, set, or real time
    PROPOSE_LIMIT_CHANGE = "propose_limit_change"
    APPLY_LIMIT_CHANGE = "apply_limit_change"
    ENGAGE_KILL_SWITCH = "engage_kill_switch"
    REQUEST_RESUME = "request_resume"
    RESUME_TRADING = "resume_trading"
    REQUEST_BREAKER_RESET = "request_breaker_reset"
    RESET_BREAKER = "reset_breaker"  # an account's breaker baseline, with the reset approved by someone else
    SEND_ALERT = "send_alert"
    DECIDE_APPROVAL = "decide_approval"
    FLATTEN_POSITIONS = "flatten_positions"
    READ_USERS = "read_users"
    MANAGE_USERS = "manage_users"
    LINK_SLACK = "link_slack"
    READ_AUDIT = "read_audit"
    READ_USAGE = "read_usage"  # one's own model usage (calls, tokens, dollars)
    READ_ALL_USAGE = "read_all_usage"  # anyone's model usage
    CHANGE_SETTINGS = "change_settings"


@dataclass(frozen=True)
class Rule:
    """The minimum role of one operation, and whether it changes governed state (users, links, strategies and
    their stages, approvals, limits, the trading state, orders): then it writes an audit row in the same
    transaction as the change. Research runs, data loads, chat turns, memories and alerts are recorded in
    their own tables instead."""

    min_role: Role
    audited: bool


_V, _T, _A, _ADM = Role.VIEWER, Role.TRADER, Role.APPROVER, Role.ADMIN
_O = Operation

POLICY: dict[Operation, Rule] = {
    _O.READ_MARKET_DATA: Rule(_V, False),
    _O.ANALYSE: Rule(_V, False),
    _O.READ_RESEARCH: Rule(_V, False),
    _O.READ_STRATEGIES: Rule(_V, False),
    _O.READ_APPROVALS: Rule(_V, False),
    _O.READ_TRADING: Rule(_V, False),
    _O.CHAT: Rule(_V, False),  # each tool call inside a turn is checked on its own
    _O.LOAD_DATA: Rule(_T, False),
    _O.RUN_RESEARCH: Rule(_T, False),
    _O.MANAGE_STRATEGY: Rule(_T, True),  # and only the strategy's owner or an approver (services.strategies)
    _O.REQUEST_PROMOTION: Rule(_T, True),
    _O.PLACE_ORDER: Rule(_T, True),  # and the risk policy, a stored approval, the kill switch (execution path)
    _O.CANCEL_ORDER: Rule(_T, True),
    _O.RECONCILE: Rule(_T, True),
    _O.RUN_PAPER: Rule(_T, False),
    _O.MOVE_MARKET_CLOCK: Rule(_T, True),  # fills resting orders and may trip breakers: on record
    _O.PROPOSE_LIMIT_CHANGE: Rule(_T, True),
    _O.APPLY_LIMIT_CHANGE: Rule(_T, True),  # only with the change approved by someone else
    _O.ENGAGE_KILL_SWITCH: Rule(_T, True),  # the safe direction
    _O.REQUEST_RESUME: Rule(_T, True),
    _O.RESUME_TRADING: Rule(_T, True),  # only with an approved resume request
    _O.REQUEST_BREAKER_RESET: Rule(_T, True),
    _O.RESET_BREAKER: Rule(_T, True),  # only with an approved reset request for that account's current halt
    _O.SEND_ALERT: Rule(_T, False),
    _O.DECIDE_APPROVAL: Rule(_A, True),  # and never one's own request (segregation of duties)
    _O.FLATTEN_POSITIONS: Rule(_A, True),
    _O.READ_USERS: Rule(_ADM, False),
    _O.MANAGE_USERS: Rule(_ADM, True),
    _O.LINK_SLACK: Rule(_ADM, True),
    _O.READ_AUDIT: Rule(_ADM, False),
    _O.READ_USAGE: Rule(_V, False),
    _O.READ_ALL_USAGE: Rule(_ADM, False),
    _O.CHANGE_SETTINGS: Rule(_ADM, True),
}


def allows(role: Role | str, operation: Operation) -> bool:
    """Whether ``role`` may perform ``operation`` according to the table."""
    return Role.parse(role).allows(POLICY[operation].min_role)


def require(actor: Actor, operation: Operation) -> None:
    """Raise ``PermissionDenied`` (code ``forbidden``) unless ``actor``'s role may perform ``operation``."""
    needed = POLICY[operation].min_role
    if not actor.role.allows(needed):
        raise PermissionDenied(
            f"{operation.value.replace('_', ' ')} needs the {needed.value} role; {actor.name} is a {actor.role.value}",
            details={"operation": operation.value, "required_role": needed.value, "role": actor.role.value,
                     "user": actor.name})
