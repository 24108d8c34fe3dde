"""The usage ledger's repository: append one row per model call, sum them by turn, thread, user and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from memory.db import Database
from memory.models.model_calls import ModelCall

ANSWERED = ("ok", "usage_missing")  # outcomes of calls the server answered (usage_missing: it sent no token counts)


@dataclass(frozen=True)
class ModelCallRow:
    """One stored call (``cost_usd`` in dollars, ``latency_ms`` wall time)."""

    turn_id: str | None
    thread_id: str | None
    user_id: int | None  # the stored user's id; None for quantpilot's own runs and the keyless local reader
    user_name: str | None
    agent: str
    model: str
    input_tokens: int
    output_tokens: int
    latency_ms: int
    cost_usd: Decimal
    priced: bool
    outcome: str
    created_at: datetime


@dataclass(frozen=True)
class UsageFilter:
    """Which calls to sum: any combination of turn, thread (its checkpointer key), user (by stored id or by
    name) and a start time (inclusive). ``no_user_id``: only calls of no stored user (with ``user_name``: the
    keyless local reader's)."""

    turn_id: str | None = None
    thread_id: str | None = None
    user_id: int | None = None
    user_name: str | None = None
    since: datetime | None = None
    no_user_id: bool = False


@dataclass(frozen=True)
class UsageSums:
    """Sums over the calls a filter selects, per model (``model`` None: over all models)."""

    model: str | None
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    latency_ms: int
    unpriced_calls: int
    failed_calls: int  # calls the server did not answer (down, HTTP error, timeout, context overflow)


def _where(query, chosen: UsageFilter):
    for column, value in ((ModelCall.turn_id, chosen.turn_id), (ModelCall.thread_id, chosen.thread_id),
                          (ModelCall.user_id, chosen.user_id), (ModelCall.user_name, chosen.user_name)):
        if value is not None:
            query = query.where(column == value)
    if chosen.no_user_id:
        query = query.where(ModelCall.user_id.is_(None))
    if chosen.since is not None:
        query = query.where(ModelCall.created_at >= chosen.since)
    return query


_SUMS = (func.count(ModelCall.id), func.coalesce(func.sum(ModelCall.input_tokens), 0),
         func.coalesce(func.sum(ModelCall.output_tokens), 0), func.coalesce(func.sum(ModelCall.cost_usd), 0),
         func.coalesce(func.sum(ModelCall.latency_ms), 0),
         func.count(ModelCall.id).filter(ModelCall.priced.is_(False)),
         func.count(ModelCall.id).filter(ModelCall.outcome.not_in(ANSWERED)))


def _sums(model: str | None, row) -> UsageSums:
    calls, inp, out, cost, latency, unpriced, failed = row
    return UsageSums(model, int(calls), int(inp), int(out), Decimal(cost), int(latency), int(unpriced), int(failed))


class ModelCallStore:
    """Postgres rows of ``model_calls``."""

    def __init__(self, database: Database):
        self.database = database

    def add(self, row: ModelCallRow) -> None:
        def write(session: Session) -> None:
            session.add(ModelCall(**{k: getattr(row, k) for k in ModelCallRow.__dataclass_fields__}))

        self.database.transaction(write)

    def sums(self, chosen: UsageFilter) -> UsageSums:
        return self.database.read(lambda s: _sums(None, s.execute(_where(select(*_SUMS), chosen)).one()))

    def sums_by_model(self, chosen: UsageFilter) -> list[UsageSums]:
        query = _where(select(ModelCall.model, *_SUMS), chosen).group_by(ModelCall.model).order_by(ModelCall.model)
        return self.database.read(lambda s: [_sums(r[0], r[1:]) for r in s.execute(query).all()])

    def recent(self, chosen: UsageFilter, limit: int = 50) -> list[ModelCallRow]:
        query = _where(select(ModelCall), chosen).order_by(ModelCall.id.desc()).limit(limit)

        def load(session: Session) -> list[ModelCallRow]:
            return [ModelCallRow(**{k: getattr(r, k) for k in ModelCallRow.__dataclass_fields__})
                    for r in session.scalars(query)]

        return self.database.read(load)
