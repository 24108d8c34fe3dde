"""The usage ledger: every model call's tokens, latency and dollars, per call, turn, thread and user.

``UsageLedger.record`` prices a call (``services.model_prices``) and appends it to its store: Postgres
(``memory.model_calls.ModelCallStore``) in the product, or ``CallList`` (this process only) where no
database is wired (unit tests of the graph). The per-turn budgets are checked against ``turn(turn_id)``,
so what stops a turn is exactly what the ledger shows. ``record`` and ``turn`` are the meter of a turn the
runner is already running for its user; people read the ledger through ``report(actor, ...)``: their own
calls (``Operation.READ_USAGE``), anyone's with ``Operation.READ_ALL_USAGE``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from errors import ConfigError
from guardrails.policy import Actor, Operation, allows, require
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
    user_id: int | None = None  # the stored user's id (None: quantpilot itself, the keyless local reader)
    user_name: str | None = None


class CallStore(Protocol):
    def add(self, row: ModelCallRow) -> None: ...

    def sums(self, chosen: UsageFilter) -> UsageSums: ...

    def sums_by_model(self, chosen: UsageFilter) -> list[UsageSums]: ...


def _chosen(row: ModelCallRow, f: UsageFilter) -> bool:
    wanted = ((f.turn_id, row.turn_id), (f.thread_id, row.thread_id), (f.user_id, row.user_id),
              (f.user_name, row.user_name))
    return (all(want is None or have == want for want, have in wanted)
            and not (f.no_user_id and row.user_id is not None) and (f.since is None or row.created_at >= f.since))


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
    """Totals and the per-model breakdown of the calls asked for: on ``thread_id`` (as the reader named it), of
    ``user`` (a name; None: everyone's), from ``since``."""

    thread_id: str | None
    user: str | None
    since: datetime | None
    total: UsageSums
    by_model: list[UsageSums]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what was asked for, the total and one entry per model (dollars as exact decimal text)."""
        return {"filter": {"thread_id": self.thread_id, "user": self.user,
                           "since": self.since.isoformat() if self.since else None},
                "total": {k: v for k, v in _sums_json(self.total).items() if k != "model"},
                "by_model": [_sums_json(s) for s in self.by_model]}


def _sums_json(s: UsageSums) -> dict[str, Any]:
    return {"model": s.model, "calls": s.calls, "input_tokens": s.input_tokens, "output_tokens": s.output_tokens,
            "cost_usd": str(s.cost_usd), "latency_ms": s.latency_ms, "unpriced_calls": s.unpriced_calls,
            "failed_calls": s.failed_calls}


class ThreadLookup(Protocol):
    """Finds a user's thread by the id they call it (``memory.threads.ThreadStore``)."""

    def find(self, owner_id: int, thread_id: str) -> Any: ...


class UsageLedger:
    """Prices and stores model calls; answers totals for a turn, and reports to people by thread, user or period."""

    def __init__(self, store: CallStore | None = None, prices: PriceTable | None = None,
                 clock: Callable[[], datetime] = utc_now, threads: ThreadLookup | None = None):
        self.store: CallStore = store if store is not None else CallList()
        self.prices = prices or PriceTable({})
        self.clock = clock
        self.threads = threads

    def record(self, usage: ModelCallUsage) -> ModelCallRow:
        cost = self.prices.cost(usage.model, usage.input_tokens, usage.output_tokens)
        row = ModelCallRow(turn_id=usage.turn_id, thread_id=usage.thread_id, user_id=usage.user_id,
                           user_name=usage.user_name, agent=usage.agent, model=usage.model,
                           input_tokens=max(usage.input_tokens, 0), output_tokens=max(usage.output_tokens, 0),
                           latency_ms=max(usage.latency_ms, 0), cost_usd=cost.usd, priced=cost.priced,
                           outcome=usage.outcome[:48], created_at=self.clock())
        self.store.add(row)
        return row

    def turn(self, turn_id: str) -> UsageSums:
        return self.store.sums(UsageFilter(turn_id=turn_id))

    def report(self, actor: Actor, *, thread_id: str | None = None, user: str | None = None,
               since: datetime | None = None) -> UsageReport:
        """Model usage as ``actor`` may see it: their own calls, or (``READ_ALL_USAGE``) anyone's — ``user``'s by
        name, everyone's without. ``thread_id`` is one of ``actor``'s threads by the id they call it, or a thread
        key. ``PermissionDenied`` (403, exit 2) when ``user`` is someone else and ``actor`` may not see it."""
        require(actor, Operation.READ_USAGE)
        if user is not None and user != actor.name:
            require(actor, Operation.READ_ALL_USAGE)
        key = self._thread_key(actor, thread_id)
        if allows(actor.role, Operation.READ_ALL_USAGE):
            chosen, who = UsageFilter(thread_id=key, user_name=user, since=since), user
        elif actor.user_id is not None:
            chosen, who = UsageFilter(thread_id=key, user_id=actor.user_id, since=since), actor.name
        else:  # the keyless local reader: the calls of no stored user made under its name
            chosen, who = UsageFilter(thread_id=key, user_name=actor.name, no_user_id=True, since=since), actor.name
        return UsageReport(thread_id, who, since, self.store.sums(chosen), self.store.sums_by_model(chosen))

    def _thread_key(self, actor: Actor, thread_id: str | None) -> str | None:
        if thread_id is None or self.threads is None or actor.user_id is None:
            return thread_id
        owned = self.threads.find(actor.user_id, thread_id)
        return thread_id if owned is None else owned.key


def database_ledger(database, settings) -> UsageLedger:
    """The product's ledger: Postgres rows priced from ``settings``, threads found in the thread index."""
    from memory.model_calls import ModelCallStore
    from memory.threads import ThreadStore

    return UsageLedger(ModelCallStore(database), PriceTable.from_settings(settings), threads=ThreadStore(database))


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
