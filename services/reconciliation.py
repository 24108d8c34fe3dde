"""Recovery after a restart and reconciliation against the broker, on ``ExecutionService`` (one account)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from guardrails.policy import Actor, Operation
from guardrails.risk_policy import RiskPolicy
from quant.execution.exactly_once import RecoveryReport, recover
from quant.execution.gate import Authorized
from quant.execution.orders import OrderIntent
from services.market_snapshot import market_snapshot
from services.operations import operation


@dataclass(frozen=True)
class Reconciliation:
    """Expected vs broker shares per symbol; ``discrepancies`` lists each mismatch."""

    matched: bool
    expected: dict[str, Decimal]
    actual: dict[str, Decimal]
    discrepancies: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"matched": self.matched, "expected": {k: _fmt(v) for k, v in self.expected.items()},
                "actual": {k: _fmt(v) for k, v in self.actual.items()}, "discrepancies": list(self.discrepancies)}


def _fmt(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent (``10.0000000000`` -> ``10``)."""
    return format(value.normalize(), "f") if value else "0"



class RecoveryOperations:
    """Mixed into ``ExecutionService`` (it provides the account, broker, gate, outbox and recording)."""

    def recover(self: Any, actor: Actor = Actor.system("recovery")) -> RecoveryReport:
        """After a restart: settle every unresolved outbox entry with the broker; an intent the broker never
        got is sent again only if the whole gate passes it now, else abandoned."""
        def may_resubmit(intent: OrderIntent) -> bool:
            book = self.book()
            state = self.trading_state(book)
            market = market_snapshot(self.bars, [intent.symbol, *book.committed_symbols()], self.now())
            decision = RiskPolicy(self.limits.current()).check(intent, book, market, state)
            return isinstance(self.gate.authorize(intent, risk_decision=decision,
                                                  approval=self.approval_for(intent, state), trading_state=state,
                                                  mode=self.broker.mode, live_enabled=self.settings.live_trading),
                              Authorized)
        report = recover(self._outbox(actor, None), self.broker, may_resubmit=may_resubmit)
        self._audit(actor, "orders.recover", "outbox", {k: list(getattr(report, k)) for k in (
            "found_at_broker", "resubmitted", "abandoned", "refreshed", "still_unknown")})
        return report

    @operation(Operation.RECONCILE)
    def reconcile(self: Any, actor: Actor, expected: dict[str, Decimal] | None = None) -> Reconciliation:
        """Our positions (default: from our orders' fills) vs the broker's; a mismatch raises an alert event."""
        want = {k.upper(): Decimal(str(v)) for k, v in (expected if expected is not None
                                                        else self.orders.expected_positions(self.account)).items()}
        have = {p.symbol: p.qty for p in self.broker.get_positions() if p.qty != 0}
        found = tuple({"symbol": s, "expected": _fmt(want.get(s, Decimal(0))), "actual": _fmt(have.get(s, Decimal(0))),
                       "difference": _fmt(have.get(s, Decimal(0)) - want.get(s, Decimal(0)))}
                      for s in sorted(set(want) | set(have)) if want.get(s, 0) != have.get(s, 0))
        self._audit(actor, "positions.reconcile", "positions", {"discrepancies": list(found)})
        if found:
            from quant.monitoring.events import EventKind, NoticePayload

            self._event(EventKind.SYSTEM_ALERT, NoticePayload(
                f"position reconciliation found {len(found)} discrepancies", "warning",
                {"discrepancies": list(found)}), actor.name)
        return Reconciliation(not found, want, have, found)

