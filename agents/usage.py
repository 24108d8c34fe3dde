"""Token usage and cost per model call, per turn and per thread.

``UsageRecorder`` is a LangChain callback handler: pass it in ``config={"callbacks": [recorder]}``
(with ``metadata={"thread_id": ..., "turn_id": ...}``) and it records each call's input/output tokens
from the message's ``usage_metadata``. Cost uses a ``PriceTable``: model -> (USD per 1k input tokens,
USD per 1k output tokens); an unknown model costs 0 and is flagged ``priced=False``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult

THOUSAND = Decimal(1000)
DEFAULT_PRICES_USD_PER_1K: dict[str, tuple[str, str]] = {
    "offline-planner": ("0", "0"),
    "gpt-4o-mini": ("0.00015", "0.0006"),
    "gpt-4o": ("0.0025", "0.01"),
}


@dataclass(frozen=True)
class PriceTable:
    """USD per 1,000 tokens, (input, output), by model name."""

    prices_usd_per_1k: Mapping[str, tuple[Decimal, Decimal]]

    @classmethod
    def from_mapping(cls, prices: Mapping[str, tuple[object, object]]) -> PriceTable:
        return cls({m: (Decimal(str(i)), Decimal(str(o))) for m, (i, o) in prices.items()})

    @classmethod
    def default(cls) -> PriceTable:
        return cls.from_mapping(DEFAULT_PRICES_USD_PER_1K)

    def cost_usd(self, model: str, input_tokens: int, output_tokens: int) -> tuple[Decimal, bool]:
        """(cost in USD, whether the model had a price)."""
        price = self.prices_usd_per_1k.get(model)
        if price is None:
            return Decimal(0), False
        return (Decimal(input_tokens) * price[0] + Decimal(output_tokens) * price[1]) / THOUSAND, True


@dataclass(frozen=True)
class UsageRecord:
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    priced: bool
    thread_id: str | None = None
    turn_id: str | None = None


@dataclass(frozen=True)
class UsageTotals:
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal


@dataclass
class UsageLedger:
    """All records of a process or a test; totals per thread, per turn, or overall."""

    prices: PriceTable = field(default_factory=PriceTable.default)
    records: list[UsageRecord] = field(default_factory=list)

    def record(self, model: str, input_tokens: int, output_tokens: int, *, thread_id: str | None = None,
               turn_id: str | None = None) -> UsageRecord:
        cost, priced = self.prices.cost_usd(model, input_tokens, output_tokens)
        entry = UsageRecord(model, input_tokens, output_tokens, cost, priced, thread_id, turn_id)
        self.records.append(entry)
        return entry

    def totals(self, *, thread_id: str | None = None, turn_id: str | None = None) -> UsageTotals:
        chosen = [r for r in self.records if (thread_id is None or r.thread_id == thread_id)
                  and (turn_id is None or r.turn_id == turn_id)]
        return UsageTotals(calls=len(chosen), input_tokens=sum(r.input_tokens for r in chosen),
                           output_tokens=sum(r.output_tokens for r in chosen),
                           cost_usd=sum((r.cost_usd for r in chosen), Decimal(0)))


class UsageRecorder(BaseCallbackHandler):
    """Callback that writes one ``UsageRecord`` per chat-model call into ``ledger``."""

    def __init__(self, ledger: UsageLedger) -> None:
        self.ledger = ledger
        self._meta: dict[UUID, dict[str, Any]] = {}

    def on_chat_model_start(self, serialized: dict[str, Any], messages: Any, *, run_id: UUID,
                            metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self._meta[run_id] = dict(metadata or {})

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        meta = self._meta.pop(run_id, {})
        for generations in response.generations:
            for generation in generations:
                message = getattr(generation, "message", None)
                usage = getattr(message, "usage_metadata", None) or {}
                model = (getattr(message, "response_metadata", None) or {}).get("model_name") \
                    or meta.get("ls_model_name") or "unknown"
                self.ledger.record(model, int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0)),
                                   thread_id=meta.get("thread_id"), turn_id=meta.get("turn_id"))
