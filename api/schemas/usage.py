"""The usage ledger over HTTP: sums of model calls for a filter, total and per model."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class UsageSumsPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "model": "gpt-4o-mini", "calls": 12, "input_tokens": 14210, "output_tokens": 1033, "cost_usd": "0.00275130",
        "latency_ms": 9120, "unpriced_calls": 0, "failed_calls": 0}]})

    model: str | None = None
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    latency_ms: int
    unpriced_calls: int
    failed_calls: int


class UsageFilterPublic(BaseModel):
    """What the sums cover: a thread, whose calls (a name; null: everyone's) and from when."""

    thread_id: str | None
    user: str | None
    since: datetime | None


class UsagePublic(BaseModel):
    filter: UsageFilterPublic
    total: UsageSumsPublic
    by_model: list[UsageSumsPublic]
