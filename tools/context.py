"""The run-scoped collaborators every tool reads: settings, database, clock, broker, user, alert sink.

Tools never reach for globals: ``build_tools(ctx)`` closes over one ``ToolContext``, so a test (or
one conversation thread) swaps the clock, the broker or the database by passing another context.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from config import Settings
from guardrails.policy import Actor, Channel, Operation, Role, require

if TYPE_CHECKING:
    import pandas as pd

    from guardrails.risk_policy import RiskLimits
    from guardrails.trading_state import TradingState
    from memory.db import Database
    from memory.long_term import LongTermMemory
    from quant.execution.broker import BrokerClient
    from quant.execution.orders import Order, OrderIntent


def utc_now() -> datetime:
    return datetime.now(UTC)


class AlertSink(Protocol):
    """Where ``send_alert`` delivers: ``send`` stores (or counts a repeat of) an alert sent by an actor and answers
    its outcome (``.status``: delivered | stored | suppressed | repeat, ``.repeats``); ``counts_since`` counts the
    alerts sent since a time (what the daily summary shows). The product's is
    ``services.alert_ledger.AlertLedger`` (Postgres, de-duplicated, rate-limited, then the alert channels)."""

    def send(self, actor: Actor, message: str, severity: str = "warning", *, source: str | None = None,
             thread_id: str | None = None, turn_id: str | None = None) -> Any: ...

    def counts_since(self, actor: Actor, since: datetime) -> Any: ...


@dataclass(frozen=True)
class AlertTally:
    count: int
    critical: int


@dataclass(frozen=True)
class RecordedAlert:
    status: str = "stored"
    repeats: int = 1


@dataclass
class RecordingAlertSink:
    """Keeps every alert in memory (where no database is wired: unit tests, offline tool runs); the same policy
    checks as the ledger."""

    alerts: list[dict[str, Any]] = field(default_factory=list)

    def send(self, actor: Actor, message: str, severity: str = "warning", *, source: str | None = None,
             thread_id: str | None = None, turn_id: str | None = None) -> RecordedAlert:
        require(actor, Operation.SEND_ALERT)
        self.alerts.append({"message": message, "severity": severity, "user": actor.name,
                            "source": source or actor.channel.value, "thread_id": thread_id, "turn_id": turn_id})
        return RecordedAlert()

    def counts_since(self, actor: Actor, since: datetime) -> AlertTally:
        require(actor, Operation.READ_TRADING)
        return AlertTally(len(self.alerts), sum(a.get("severity") == "critical" for a in self.alerts))


class DatabaseAlerts:
    """The product's alert sink on ``database`` (``services.alert_ledger.database_alert_ledger`` with the channels
    ``settings`` configure), made on the first alert: a run that sends none (most turns, resuming an approval)
    never loads the ledger, the event log or the channels."""

    def __init__(self, database: Database, settings: Settings, clock: Callable[[], datetime]):
        self._args = (database, settings, clock)
        self._ledger: AlertSink | None = None
        self._lock = threading.Lock()

    def ledger(self) -> AlertSink:
        with self._lock:
            if self._ledger is None:
                from services.alert_ledger import database_alert_ledger
                from services.alerts import configured_channels

                database, settings, clock = self._args
                self._ledger = database_alert_ledger(database, settings, configured_channels(settings), clock=clock)
            return self._ledger

    def send(self, actor: Actor, message: str, severity: str = "warning", *, source: str | None = None,
             thread_id: str | None = None, turn_id: str | None = None) -> Any:
        return self.ledger().send(actor, message, severity, source=source, thread_id=thread_id, turn_id=turn_id)

    def counts_since(self, actor: Actor, since: datetime) -> Any:
        return self.ledger().counts_since(actor, since)


class TradingStateStore(Protocol):
    """Where the current trading state (ACTIVE / REDUCING / HALTED) is kept."""

    def current(self) -> TradingState: ...

    def save(self, state: TradingState) -> None: ...


@dataclass
class InMemoryTradingState:
    """A trading-state store for one process (offline runs and tests); starts ACTIVE."""

    state: TradingState | None = None

    def current(self) -> TradingState:
        if self.state is None:
            from guardrails.trading_state import TradingState

            self.state = TradingState()
        return self.state

    def save(self, state: TradingState) -> None:
        self.state = state


class OrderGateway(Protocol):
    """The execution path behind ``place_order``: risk policy, stored approval, kill switch, then the
    gated broker. Returns the broker's ``Order``, or the gate's ``Denied`` / the policy's ``Rejected``."""

    def place(self, actor: Actor, intent: OrderIntent) -> Order | Any: ...

    def kill_switch_on(self, actor: Actor, *, reason: str, flatten: bool = False) -> Any:
        """Halt (on record, with the actor), cancel open orders, and (approver) flatten; the report."""


@dataclass(frozen=True)
class ToolContext:
    """Everything a tool may touch during one run.

    ``clock`` returns the session's "now" (UTC); every data-reading tool defaults ``as_of`` to it.
    ``order_gateway`` is the execution path; without one ``place_order`` refuses (fails closed).
    ``data_sources`` is the provider fallback order used when a symbol is not stored yet
    (default: ``settings.data_sources``). ``database`` and ``broker`` may be None: tools that need
    them answer with a structured ``unavailable`` result instead of failing. ``user``/``role`` are
    the person the run acts for; the graph re-scopes them per call from the thread's state
    (``scoped``), so one set of tools serves every user. ``long_term_memory`` defaults to pgvector
    memory on ``database`` (``memory()``); ``alert_sink`` to ``services.alert_ledger.AlertLedger`` on ``database``
    (stored, de-duplicated, rate-limited, then the configured outputs; made on the first alert,
    ``DatabaseAlerts``), or memory without a database.
    """

    settings: Settings
    database: Database | None = None
    clock: Callable[[], datetime] = utc_now
    broker: BrokerClient | None = None
    user: str = "system"
    role: str = "viewer"
    user_id: int | None = None
    channel: str = "graph"
    thread_id: str | None = None
    turn_id: str | None = None
    alert_sink: AlertSink = None  # type: ignore[assignment]  # set in __post_init__ when not given
    data_sources: tuple[str, ...] | None = None
    allow_network: bool = True
    risk_limits: RiskLimits | None = None
    trading_state: TradingStateStore = field(default_factory=InMemoryTradingState)
    order_gateway: OrderGateway | None = None
    long_term_memory: LongTermMemory | None = None
    news_source: Callable[[str], list[dict[str, Any]]] | None = None

    def __post_init__(self) -> None:
        if self.alert_sink is None:  # every interface's alerts go to Postgres when there is a database
            object.__setattr__(self, "alert_sink", self._default_alerts())

    def _default_alerts(self) -> AlertSink:
        if self.database is None:
            return RecordingAlertSink()
        return DatabaseAlerts(self.database, self.settings, self.clock)

    def scoped(self, scope: Mapping[str, Any] | None) -> ToolContext:
        """This context acting for ``scope`` (``user``, ``role``, ``user_id``, ``channel``, ``thread_id``, ``turn_id``;
        missing keys keep ours)."""
        if not scope:
            return self
        changes: dict[str, Any] = {k: str(scope[k]) for k in ("user", "role", "channel", "thread_id", "turn_id")
                                   if scope.get(k)}
        if "user" in changes:  # another person: their id (or none), never the previous one's
            changes["user_id"] = scope.get("user_id")
        return replace(self, **changes) if changes else self

    def actor(self) -> Actor:
        """The person this run acts for, through the channel the run came from (the agents' own by default)."""
        try:
            channel = Channel(self.channel)
        except ValueError:
            channel = Channel.AGENT
        return Actor(self.user_id, self.user, Role.parse(self.role), channel)

    def memory(self) -> LongTermMemory | None:
        """Long-term memory of this run: the given one, else pgvector memory on the database, else None."""
        if self.long_term_memory is not None or self.database is None:
            return self.long_term_memory
        from memory.embeddings import Embedder
        from memory.long_term import LongTermMemory

        return LongTermMemory(self.database, Embedder())

    def now(self) -> datetime:
        """The session clock's "now", always tz-aware UTC."""
        value = self.clock()
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def as_of(self, value: date | datetime | str | None) -> pd.Timestamp:
        """``value`` as a UTC timestamp, or the session's now when None. A bare date is taken as is."""
        import pandas as pd  # here, not at the top: building the tools (as resuming an approval does) needs no pandas

        stamp = pd.Timestamp(self.now() if value is None else value)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")

    def limits(self) -> RiskLimits:
        """The risk limits in force (default: ``RiskLimits()``, the policy's defaults)."""
        if self.risk_limits is not None:
            return self.risk_limits
        from guardrails.risk_policy import RiskLimits

        return RiskLimits()

    def sources(self) -> tuple[str, ...]:
        return tuple(self.data_sources if self.data_sources is not None else self.settings.data_sources)
