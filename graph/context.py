"""Run-scoped collaborators of the graph, passed as LangGraph Runtime context, never stored in state.

The live-trading switch, the clock, the ladder criteria and the repositories come from here, so a
prompt or a tool output cannot change them and a test swaps them by passing another context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from graph.ladder import LadderCriteria

if TYPE_CHECKING:
    from graph.approvals import ApprovalDecision, ApprovalRequest
    from memory.ladder import ApprovalStore, StrategyRegistry


def utc_now() -> datetime:
    return datetime.now(UTC)


class ApprovalEffect(Protocol):
    """Applies an approved request (e.g. a risk-limit change); returns a JSON-ready summary."""

    def __call__(self, request: ApprovalRequest, decision: ApprovalDecision) -> dict[str, Any]: ...


@dataclass(frozen=True)
class GraphContext:
    """Everything a graph run may touch besides its state.

    ``approvals``/``strategies`` may be None for graphs that never ask for approvals (unit tests);
    an approval-required tool result is then refused with a clear message. ``effects`` maps an
    approval kind without a built-in effect (``risk_limit``, ``live_order``) to its applier.
    """

    live_trading_enabled: bool = False
    distinct_live_approver: bool = True
    channel: str = "cli"
    clock: Callable[[], datetime] = utc_now
    criteria: LadderCriteria = field(default_factory=LadderCriteria)
    approval_ttl: timedelta = timedelta(hours=72)
    approvals: ApprovalStore | None = None
    strategies: StrategyRegistry | None = None
    effects: Mapping[str, ApprovalEffect] = field(default_factory=dict)
    max_hops: int = 6

    def now(self) -> datetime:
        value = self.clock()
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def database_context(database: Any, **overrides: Any) -> GraphContext:
    """A context backed by Postgres repositories on ``database`` (``memory.db.Database``)."""
    from memory.ladder import ApprovalStore, StrategyRegistry

    return GraphContext(approvals=ApprovalStore(database), strategies=StrategyRegistry(database), **overrides)
