"""The way out of a paper account's breaker, on ``ExecutionService``: an approved reset of the breaker baseline.

The drawdown breaker halts an account when its equity falls the limit below its high-water mark; resuming
alone would trip it again at once, since the drawdown is still there. A reset makes the equity now the new
high-water mark and session-start equity, and lifts the account's halt (or reducing-only state). It needs an
approval of kind ``breaker_reset`` for that account's current halt, asked by one person (trader) and decided
by another (``services.approvals``: segregation of duties); the reset and its audit row are one transaction.
"""

from __future__ import annotations

from typing import Any

from errors import ApprovalError, ConfigError
from guardrails.approvals import ApprovalRequest
from guardrails.policy import Actor, Operation
from guardrails.trading_state import TradingState, drawdown_pct, resume
from memory.trading_state import APPROVAL_TTL, approval_value, new_approval_id
from quant.execution.gate import ApprovalScope, ApprovalStatus
from quant.risk.decision import TradingStatus
from services.operations import operation


def breaker_key(state: TradingState) -> str:
    """What a reset approval names: the halt id, or the session a reducing-only state began."""
    return state.halt_id or f"reducing-{state.reducing_session}"


def breaker_release(account: str) -> str:
    """The exact command that starts lifting ``account``'s breaker halt."""
    return (f'quantpilot risk reset-breaker request --account {account} --reason "…" (another approver approves '
            "it, then: quantpilot risk reset-breaker apply --approval ID)")


def breaker_release_api(account: str) -> str:
    """``breaker_release`` as API calls (the same request, approval and reset)."""
    return (f'POST /api/v1/risk/breaker/reset-request?account={account} {{"reason": "…"}} (another approver: '
            'POST /api/v1/approvals/ID/approve), then POST /api/v1/risk/breaker/reset {"approval_id": "ID"}')


class BreakerOperations:
    """Mixed into ``ExecutionService`` (it provides the account, its stores, clocks and recording)."""

    @operation(Operation.REQUEST_BREAKER_RESET)
    def request_breaker_reset(self: Any, actor: Actor, *, reason: str) -> str:
        """Store the ``breaker_reset`` approval request for this account's current halt; returns its id."""
        if not reason or not reason.strip():
            raise ConfigError("a breaker reset needs a reason (shown to whoever decides)", details={"field": "reason"})
        book = self.book()
        state = self.breakers.current()
        if state.status is TradingStatus.ACTIVE:
            raise ConfigError(f"account {self.account} is not halted by a breaker; nothing to reset",
                              code="nothing_to_reset", details={"account_id": self.account})
        now = self.record_now()
        request = ApprovalRequest(
            id=new_approval_id(), kind="breaker_reset", requester=actor.name, requester_id=actor.user_id,
            channel=actor.channel.value, thread_id=None,
            subject={"account_id": self.account, "halt_id": breaker_key(state),  # type: ignore[arg-type]
                     "status": state.status.value},
            evidence=self.breaker_evidence(book, state, reason),
            summary=f"reset the breaker baseline of account {self.account} ({state.status.value}): {reason}",
            created_at=now, expires_at=now + APPROVAL_TTL)
        from services.approvals import store_request

        store_request(self.approvals, self.audit, actor, request)
        return request.id

    def breaker_evidence(self: Any, book: Any, state: TradingState, reason: str) -> dict[str, Any]:
        """What the approver sees: why the account stopped, its equity, high-water mark and drawdown (dollars,
        percent) and the reason given."""
        return {"reason": reason, "halt_reason": state.reason, "trading_status": state.status.value,
                "equity_usd": str(book.equity_usd), "peak_equity_usd": str(book.peak_equity_usd),
                "drawdown_pct": round(float(drawdown_pct(book)), 4), "account_id": self.account}

    @operation(Operation.RESET_BREAKER)
    def reset_breaker(self: Any, actor: Actor, approval_id: str) -> TradingState:
        """Reset the breaker baseline of the account the approval names (this service's account, or a sibling)
        with an approved request for its current halt (``ApprovalError`` otherwise): equity now becomes the
        high-water mark and the session-start equity, and the account is ACTIVE again (unless the global kill
        switch still halts everything). Returns the state it trades under."""
        record = self.approvals.get(approval_id)
        named_account = record.subject.get("account_id")
        if record.kind == "breaker_reset" and named_account and named_account != self.account:
            other = self.for_account(named_account)  # the account the approval names, on its own clock
            if other is not None:
                return other.reset_breaker(actor, approval_id)
        state = self.breakers.current()
        if state.status is TradingStatus.ACTIVE:
            raise ConfigError(f"account {self.account} is not halted by a breaker; nothing to reset",
                              code="nothing_to_reset", details={"account_id": self.account})
        wanted = {"account_id": self.account, "halt_id": breaker_key(state)}
        named = {k: record.subject.get(k) for k in wanted}
        if record.kind != "breaker_reset" or named != wanted:
            raise ApprovalError(f"approval {approval_id} does not cover resetting the breaker of account "
                                f"{self.account} ({state.status.value}, {wanted['halt_id']})",
                                code="approval_does_not_cover", details={"approval_id": approval_id, **wanted})
        approval = approval_value(record, ApprovalScope.RISK_LIMIT, f"reset-{wanted['halt_id']}")
        if approval.status is not ApprovalStatus.APPROVED:
            raise ApprovalError(f"approval {approval_id} is {record.status}, not approved: another approver decides "
                                f"it (`quantpilot approvals approve {approval_id}`)", code="not_approved",
                                details={"approval_id": approval_id})
        book = self.book()
        session = self.now().date()
        after = resume(state, approval_id, ts=self.now(),
                       reason=f"breaker baseline reset with approval {approval_id} by {approval.approver}: equity "
                              f"{book.equity_usd:,.2f} is the new high-water mark")
        self.breakers.reset_baseline(book.equity_usd, session)
        self._save_state(after, actor)
        self._audit(actor, "trading.breaker_reset", f"account:{self.account}",
                    {"approval_id": approval_id, "approver": approval.approver, "from": state.status.value,
                     "equity_usd": str(book.equity_usd), "previous_peak_usd": str(book.peak_equity_usd)})
        return self.trading_state()
