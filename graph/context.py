"""Run-scoped collaborators of the graph, passed as LangGraph Runtime context, never stored in state.

The live-trading switch, the clock, the ladder criteria and the repositories come from here, so a
prompt or a tool output cannot change them and a test swaps them by passing another context.
The audit log, long-term memory, the usage ledger and the Prometheus metrics the guardrail nodes
write to are here too; without an audit log or memory those writes are skipped (unit tests), never
faked; without a database the usage ledger keeps this process's calls in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from guardrails.ladder import LadderCriteria
from services.usage_ledger import UsageLedger

if TYPE_CHECKING:
    from guardrails.approvals import ApprovalDecision, ApprovalRequest
    from memory.approvals import ApprovalStore
    from memory.audit import AuditLog
    from memory.long_term import Recollection
    from memory.strategies import StrategyRegistry
    from quant.monitoring.metrics import QuantpilotMetrics


def utc_now() -> datetime:
    return datetime.now(UTC)


class ApprovalEffect(Protocol):
    """Applies an approved request (e.g. a risk-limit change); returns a JSON-ready summary."""

    def __call__(self, request: ApprovalRequest, decision: ApprovalDecision) -> dict[str, Any]: ...


class Memory(Protocol):
    """Long-term memory as the graph uses it (``memory.long_term.LongTermMemory`` is one)."""

    def remember(self, user_id: str, kind: str, text: str, metadata: Mapping[str, Any] | None = None) -> int: ...

    def recall(self, user_id: str, query: str, k: int = 5) -> list[Recollection]: ...


@dataclass(frozen=True)
class HistoryPolicy:
    """How much older conversation a model call may carry.

    Besides its system prompt and the current turn, a call carries the thread note (context,
    recollections, a summary line of what is not shown) and the most recent earlier turns, together
    at most ``share`` of (prompt + current turn) characters — so a call late in a long thread costs
    at most ``1 + share`` times the same call in a new thread.
    """

    share: float = 0.45
    summary_chars: int = 240


@dataclass(frozen=True)
class TurnLimits:
    """What one turn may spend: tool calls, model dollars and model tokens (0: no cap), and how many times
    the model is told its tool call was malformed before the turn stops."""

    max_tool_calls: int = 12
    max_usd: float = 0.50
    max_tokens: int = 60_000
    corrections: int = 2


@dataclass(frozen=True)
class GraphContext:
    """Everything a graph run may touch besides its state.

    ``approvals``/``strategies`` may be None for graphs that never ask for approvals (unit tests);
    an approval-required tool result is then refused with a clear message. ``effects`` maps an
    approval kind without a built-in effect (``risk_limit``, ``live_order``) to its applier.
    """

    live_trading_enabled: bool = False
    allow_self_approval: bool = False  # a single-user install's explicit, audited choice
    channel: str = "cli"
    clock: Callable[[], datetime] = utc_now
    criteria: LadderCriteria = field(default_factory=LadderCriteria)
    approval_ttl: timedelta = timedelta(hours=72)
    approvals: ApprovalStore | None = None
    strategies: StrategyRegistry | None = None
    effects: Mapping[str, ApprovalEffect] = field(default_factory=dict)
    max_hops: int = 6
    audit: AuditLog | None = None
    memory: Memory | None = None
    metrics: QuantpilotMetrics | None = None  # None: the process-wide METRICS
    history: HistoryPolicy = field(default_factory=HistoryPolicy)
    recall_k: int = 3
    recall_min_score: float = 0.45  # a memory less similar than this to the request is not put in front of a model
    usage: UsageLedger = field(default_factory=UsageLedger)  # every model call's tokens, latency and dollars
    limits: TurnLimits = field(default_factory=TurnLimits)

    def meter(self) -> QuantpilotMetrics:
        if self.metrics is not None:
            return self.metrics
        from quant.monitoring.metrics import METRICS

        return METRICS

    def now(self) -> datetime:
        value = self.clock()
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def database_context(database: Any, **overrides: Any) -> GraphContext:
    """A context backed by Postgres on ``database`` (``memory.db.Database``): approvals, strategies, the audit
    log, pgvector long-term memory and the usage ledger (list prices unless ``usage`` is given; clock shared
    with the context)."""
    from config import default_model_prices
    from memory.approvals import ApprovalStore
    from memory.audit import AuditLog
    from memory.embeddings import Embedder
    from memory.long_term import LongTermMemory
    from memory.model_calls import ModelCallStore
    from memory.strategies import StrategyRegistry
    from services.model_prices import PriceTable

    clock = overrides.get("clock", utc_now)
    defaults: dict[str, Any] = {"approvals": ApprovalStore(database), "strategies": StrategyRegistry(database),
                                "audit": AuditLog(database, clock=clock),
                                "memory": LongTermMemory(database, Embedder()),
                                "usage": UsageLedger(ModelCallStore(database), PriceTable(default_model_prices()),
                                                     clock)}
    return GraphContext(**{**defaults, **overrides})
