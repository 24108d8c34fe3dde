"""The usage ledger: every model call's tokens, latency and dollars, per call, turn, thread and user.

``UsageLedger.record`` prices a call (``services.model_prices``) and appends it to its store: Postgres
(``memory.model_calls.ModelCallStore``) in the product, or ``CallList`` (this process only) where no
database is wired (unit tests of the graph). The per-turn budgets are checked against ``turn(turn_id)``,
so what stops a turn is exactly what the ledger shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from errors import ConfigError, PermissionDenied
from memory.model_calls import ANSWERED, ModelCallRow, UsageFilter, UsageSums
from services.model_prices import PriceTable


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ModelCallUsage:
    """What one model call used, before pricing (tokens as the server reported them)."""

    model: str
    agent: str
    input_tokens: int
    output_tokens: int
    latency_ms: int
    outcome: str = "ok"
    turn_id: str | None = None
    thread_id: str | None = None
    user_id: str | None = None


class CallStore(Protocol):
    def add(self, row: ModelCallRow) -> None: ...

    def sums(self, chosen: UsageFilter) -> UsageSums: ...

    def sums_by_model(self, chosen: UsageFilter) -> list[UsageSums]: ...


def _chosen(row: ModelCallRow, f: UsageFilter) -> bool:
    return ((f.turn_id is None or row.turn_id == f.turn_id) and (f.thread_id is None or row.thread_id == f.thread_id)
            and (f.user_id is None or row.user_id == f.user_id) and (f.since is None or row.created_at >= f.since))


def _sum(model: str | None, rows: list[ModelCallRow]) -> UsageSums:
    return UsageSums(model, len(rows), sum(r.input_tokens for r in rows), sum(r.output_tokens for r in rows),
                     sum((r.cost_usd for r in rows), Decimal(0)), sum(r.latency_ms for r in rows),
                     sum(not r.priced for r in rows), sum(r.outcome not in ANSWERED for r in rows))


@dataclass
class CallList:
    """The calls of this process, in memory (where no database is wired)."""

    rows: list[ModelCallRow] = field(default_factory=list)

    def add(self, row: ModelCallRow) -> None:
        self.rows.append(row)

    def sums(self, chosen: UsageFilter) -> UsageSums:
        return _sum(None, [r for r in self.rows if _chosen(r, chosen)])

    def sums_by_model(self, chosen: UsageFilter) -> list[UsageSums]:
        rows = [r for r in self.rows if _chosen(r, chosen)]
        return [_sum(m, [r for r in rows if r.model == m]) for m in sorted({r.model for r in rows})]


@dataclass(frozen=True)
class UsageReport:
    """Totals and the per-model breakdown for one filter."""

    filter: UsageFilter
    total: UsageSums
    by_model: list[UsageSums]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the filter, the total and one entry per model (dollars as exact decimal text)."""
        chosen = self.filter
        return {"filter": {"thread_id": chosen.thread_id, "user_id": chosen.user_id,
                           "since": chosen.since.isoformat() if chosen.since else None},
                "total": {k: v for k, v in _sums_json(self.total).items() if k != "model"},
                "by_model": [_sums_json(s) for s in self.by_model]}


def _sums_json(s: UsageSums) -> dict[str, Any]:
    return {"model": s.model, "calls": s.calls, "input_tokens": s.input_tokens, "output_tokens": s.output_tokens,
            "cost_usd": str(s.cost_usd), "latency_ms": s.latency_ms, "unpriced_calls": s.unpriced_calls,
            "failed_calls": s.failed_calls}


class UsageLedger:
    """Prices and stores model calls; answers totals for a turn, a thread, a user or a period."""

    def __init__(self, store: CallStore | None = None, prices: PriceTable | None = None,
                 clock: Callable[[], datetime] = utc_now):
        self.store: CallStore = store if store is not None else CallList()
        self.prices = prices or PriceTable({})
        self.clock = clock

    def record(self, usage: ModelCallUsage) -> ModelCallRow:
        cost = self.prices.cost(usage.model, usage.input_tokens, usage.output_tokens)
        row = ModelCallRow(turn_id=usage.turn_id, thread_id=usage.thread_id, user_id=usage.user_id,
                           agent=usage.agent, model=usage.model, input_tokens=max(usage.input_tokens, 0),
                           output_tokens=max(usage.output_tokens, 0), latency_ms=max(usage.latency_ms, 0),
                           cost_usd=cost.usd, priced=cost.priced, outcome=usage.outcome[:48], created_at=self.clock())
        self.store.add(row)
        return row

    def turn(self, turn_id: str) -> UsageSums:
        return self.store.sums(UsageFilter(turn_id=turn_id))

    def report(self, chosen: UsageFilter) -> UsageReport:
        return UsageReport(chosen, self.store.sums(chosen), self.store.sums_by_model(chosen))


def database_ledger(database, settings) -> UsageLedger:
    """The product's ledger: Postgres rows priced from ``settings``."""
    from memory.model_calls import ModelCallStore

    return UsageLedger(ModelCallStore(database), PriceTable.from_settings(settings))


OWN_USAGE_ONLY = ("viewer", "trader")  # roles that see only their own usage; approvers and admins see anyone's


def visible(chosen: UsageFilter, *, user: str, role: str) -> UsageFilter:
    """``chosen`` as ``user`` (with ``role``) may see it: their own usage unless they approve or administer."""
    if role not in OWN_USAGE_ONLY:
        return chosen
    if chosen.user_id not in (None, user):
        raise PermissionDenied(f"a {role} sees only their own model usage; ask an approver or admin for "
                               f"{chosen.user_id}'s", details={"role": role})
    return replace(chosen, user_id=user)


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """``None``, an ISO date or date-time (UTC when no zone is given), or a span back from ``now``: ``24h``,
    ``7d``, ``30m``."""
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    if text[:-1].isdigit() and text[-1:] in SPANS:
        try:
            return now - timedelta(**{SPANS[text[-1]]: int(text[:-1])})
        except OverflowError:
            raise ConfigError(f"--since {value!r} reaches back further than dates go", details={"field": "since"}
                              ) from None
    try:
        stamp = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"--since {value!r} is not a date (2026-01-31), a date-time or a span (24h, 7d, 30m)",
                          details={"field": "since"}) from None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp


SPANS = {"m": "minutes", "h": "hours", "d": "days"}
