"""The global kill switch on ``ExecutionService``: engage (halt every account, cancel open orders, optionally close
the account's positions) and release (an approved resume request decided by someone else).

A safety action reports what happened: each close order with its final state. A close that was refused (the
risk policy or the gate said no, the broker rejected it) is in the report as refused, and a critical alert is
raised (``services.critical_alerts``), so no interface can present a failed flatten as done.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from errors import ApprovalError, ConfigError
from guardrails.approvals import ApprovalRequest
from guardrails.policy import Actor, Operation, require
from guardrails.trading_state import TradingState, engage_kill_switch, resume
from memory.trading_state import APPROVAL_TTL, approval_value, new_approval_id
from quant.execution.gate import ApprovalScope, ApprovalStatus, Denied
from quant.execution.orders import Order, OrderIntent, OrderStatus
from quant.risk.decision import Rejected, TradingStatus
from services.operations import operation

_NOT_CLOSED = (OrderStatus.REJECTED, OrderStatus.CANCELED, OrderStatus.EXPIRED)


@dataclass(frozen=True)
class CloseResult:
    """One close order of a flatten: ``status`` is the broker's final order status, or ``refused`` when it was
    never sent (``reason`` says why); shares and the average fill price in dollars."""

    client_order_id: str
    symbol: str
    side: str
    qty: Decimal
    status: str
    filled_qty: Decimal = Decimal(0)
    avg_fill_price: Decimal | None = None
    reason: str = ""

    @property
    def refused(self) -> bool:
        return self.status == "refused" or OrderStatus(self.status) in _NOT_CLOSED

    def to_dict(self) -> dict[str, Any]:
        return {"client_order_id": self.client_order_id, "symbol": self.symbol, "side": self.side,
                "qty": str(self.qty), "status": self.status, "filled_qty": str(self.filled_qty),
                "avg_fill_price": None if self.avg_fill_price is None else str(self.avg_fill_price),
                "reason": self.reason}


def close_result(intent: OrderIntent, outcome: Order | Denied | Rejected) -> CloseResult:
    i = intent
    if isinstance(outcome, Order):
        return CloseResult(i.client_order_id, i.symbol, i.side.value, i.qty, outcome.status.value,
                           outcome.filled_qty, outcome.avg_fill_price, outcome.reason or "")
    if isinstance(outcome, Rejected):
        code = outcome.codes[0]
        why = f"{code.value}: {dict(outcome.details).get(code, {}).get('message') or outcome.reason}"
    else:
        why = f"{outcome.code.value}: {outcome.detail}"
    return CloseResult(i.client_order_id, i.symbol, i.side.value, i.qty, "refused", reason=why)


@dataclass(frozen=True)
class KillSwitchReport:
    """The state after engaging (as the account trades under it), the orders canceled, and each close order."""

    account_id: str
    state: TradingState
    canceled: tuple[str, ...]
    closes: tuple[CloseResult, ...]

    @property
    def refused(self) -> tuple[CloseResult, ...]:
        return tuple(c for c in self.closes if c.refused)

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "trading_state": self.state.status.value,
                "halt_id": self.state.halt_id, "canceled": list(self.canceled),
                "closes": [c.to_dict() for c in self.closes], "refused_closes": len(self.refused)}


class KillSwitchOperations:
    """Mixed into ``ExecutionService`` (it provides the stores, broker, clocks and recording)."""

    @operation(Operation.ENGAGE_KILL_SWITCH, one_transaction=False)
    def kill_switch_on(self: Any, actor: Actor, *, reason: str = "manual", flatten: bool = False) -> KillSwitchReport:
        """HALT every account now (persisted first), cancel every account's open orders, then (approver only)
        close every position of this service's account; the report lists each close with its final state."""
        if flatten:
            require(actor, Operation.FLATTEN_POSITIONS)
        positions = {p.symbol: p.qty for p in self.broker.get_positions()}
        result = engage_kill_switch(self.states.current(), reason=reason, ts=self.record_now(),
                                    open_orders=self.orders.open_orders(None), positions=positions, flatten=flatten)
        with self.database.unit_of_work():  # the request itself is on record even when trading was halted already
            self._audit(actor, "trading.kill_switch", "halt", {"reason": reason, "flatten": flatten,
                                                               "account_id": self.account})
            self._save_state(result.state, actor)
        from quant.monitoring.events import EventKind, KillSwitchPayload

        self._event(EventKind.KILL_SWITCH_ACTIVATED, KillSwitchPayload(True, reason, actor.name), actor.name)
        canceled = []
        for cancel in result.cancels:
            if cancel.broker_order_id:
                owner = self.for_account(self.orders.get(cancel.client_order_id).account_id)
                if owner is not None:
                    owner.cancel(actor, cancel.client_order_id)
                    canceled.append(cancel.client_order_id)
        closes = tuple(close_result(i, self.place(actor, i)) for i in result.flattens)
        report = KillSwitchReport(self.account, self.trading_state(), tuple(canceled), closes)
        if report.refused:
            self._refused_closes(actor, report)
        return report

    def _refused_closes(self: Any, actor: Actor, report: KillSwitchReport) -> None:
        from services.critical_alerts import raise_critical

        names = ", ".join(f"{c.symbol} ({c.reason or c.status})" for c in report.refused)
        raise_critical(self.events, self.settings, key=f"flatten:{report.state.halt_id}",
                       title=f"Flatten incomplete in account {self.account}",
                       message=f"{len(report.refused)} of {len(report.closes)} close orders were refused; these "
                               f"positions are still open: {names}",
                       details=report.to_dict(), source=actor.name, ts=self.record_now())
        self._audit(actor, "trading.flatten_incomplete", f"account:{self.account}",
                    {"refused": [c.to_dict() for c in report.refused]})

    @operation(Operation.REQUEST_RESUME)
    def request_resume(self: Any, actor: Actor, *, reason: str) -> str:
        """Store the approval request that ``resume`` needs (kind ``risk_limit``, action resume_trading)."""
        state, now = self.states.current(), self.record_now()
        if state.status is TradingStatus.ACTIVE:
            mine = self.trading_state()
            if mine.status is not TradingStatus.ACTIVE:
                raise ConfigError(f"the kill switch is off; account {self.account} is {mine.status.value} by its "
                                  f"own breaker ({mine.reason}). To lift it: {mine.release}", code="breaker_halt",
                                  details={"account_id": self.account, "release": mine.release})
            raise ConfigError("trading is already active; nothing to resume")
        subject_id = f"resume-{state.halt_id or 'reducing'}"
        request = ApprovalRequest(
            id=new_approval_id(), kind="risk_limit", requester=actor.name, requester_id=actor.user_id,
            channel=actor.channel.value, thread_id=None,
            subject={"limit_change_id": subject_id, "action": "resume_trading",  # type: ignore[arg-type]
                     "halt_id": state.halt_id, "status": state.status.value},
            evidence={"reason": reason}, summary=f"resume trading ({state.status.value}): {reason}",
            created_at=now, expires_at=now + APPROVAL_TTL)
        from services.approvals import store_request

        store_request(self.approvals, self.audit, actor, request)
        return request.id

    @operation(Operation.RESUME_TRADING, one_transaction=False)
    def resume(self: Any, actor: Actor, approval_id: str) -> TradingState:
        """Turn the kill switch off with an approved resume request for the current halt (``ApprovalError`` if
        not); returns the state this account then trades under (its own breakers may still halt it)."""
        state, record = self.states.current(), self.approvals.get(approval_id)
        expected = f"resume-{state.halt_id or 'reducing'}"
        approval = approval_value(record, ApprovalScope.RISK_LIMIT, record.subject.get("limit_change_id", ""))
        if record.subject.get("action") != "resume_trading" or approval.subject != expected:
            raise ApprovalError(f"approval {approval_id} does not cover resuming from {state.status.value} "
                                f"(needs {expected})", details={"approval_id": approval_id, "expected": expected})
        if approval.status is not ApprovalStatus.APPROVED:
            raise ApprovalError(f"approval {approval_id} is {record.status}, not approved",
                                details={"approval_id": approval_id})
        after = resume(state, approval_id, ts=self.record_now(), reason=f"resumed with approval {approval_id}")
        self._save_state(after, actor)
        from quant.monitoring.events import EventKind, KillSwitchPayload

        self._event(EventKind.KILL_SWITCH_ACTIVATED, KillSwitchPayload(False, "resumed", actor.name), actor.name)
        return self.trading_state()

    kill_switch_off = resume
