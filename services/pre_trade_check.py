"""A pre-trade check from raw order fields: would the risk policy pass this order at the account's market clock
(or at ``as_of``)? Nothing is sent or stored besides equity marks.

One answer for every interface that offers it (``quantpilot risk check --json``, ``POST /api/v1/risk/check``):
``approved``, ``client_order_id``, the reason ``codes`` with their facts (``details``: observed value, threshold,
unit; e.g. ``STALE_PRICE`` carries the price's age in days) and a ``reason`` in words. A field that does not make
an order is ``INVALID_ORDER`` naming it (``invalid_field``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from guardrails.policy import Actor, Operation, require
from guardrails.risk_policy import intent_or_rejection
from quant.risk.decision import RejectCode, Rejected, RiskDecision

if TYPE_CHECKING:
    from services.execution import ExecutionService


@dataclass(frozen=True)
class CheckAnswer:
    """The risk policy's decision on one order, as every interface shows it."""

    decision: RiskDecision

    @property
    def approved(self) -> bool:
        return self.decision.ok

    @property
    def invalid_field(self) -> str | None:
        """The field that made no order (``INVALID_ORDER``), else None."""
        details = dict(getattr(self.decision, "details", {}) or {})
        bad = details.get(RejectCode.INVALID_ORDER)
        return str(bad.get("field", "arguments")) if isinstance(bad, dict) else None

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision
        return {"approved": decision.ok, "client_order_id": decision.client_order_id,
                "codes": [str(c) for c in getattr(decision, "codes", ())],
                "details": {str(k): v for k, v in dict(getattr(decision, "details", {}) or {}).items()},
                "reason": getattr(decision, "reason", "")}


def check_order(service: ExecutionService, actor: Actor, *, as_of: datetime | None = None,
                **fields: Any) -> CheckAnswer:
    """``service.check`` on the order ``fields`` (symbol, side, qty, order_type, limit_price, stop_price,
    strategy_id) at the account's clock or ``as_of`` (viewer)."""
    require(actor, Operation.READ_TRADING)
    intent = intent_or_rejection(decision_key="check", **fields)
    if isinstance(intent, Rejected):
        return CheckAnswer(intent)
    return CheckAnswer(service.check(actor, intent, as_of=as_of))
