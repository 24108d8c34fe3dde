"""What an approved request does on the execution path, for the graph's apply step (``GraphContext.effects``).

An approved ``paper_order``/``live_order`` sends exactly the order it names, in the paper account it names
(risk, kill switch and the stored approval are checked again by ``ExecutionService``); an approved resume
request (kind ``risk_limit``, action ``resume_trading``) turns the kill switch off; an approved
``breaker_reset`` resets the breaker baseline of the account it names. Other ``risk_limit`` approvals (a limit
change asked for in a conversation) go to ``apply_limits(request, decision)`` — the product passes
``limit_change_effect(LimitService)``, which puts the change in force — else they are only recorded. An order
the service does not send raises ``ApprovalError`` (the approval closes as invalid).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from errors import ApprovalError
from guardrails.approvals import ApprovalRequest, order_intent_of
from guardrails.policy import Actor, Channel, Role
from quant.execution.orders import Order

Effect = Callable[[ApprovalRequest, Any], dict[str, Any]]


def decider(decision: Any) -> Actor:
    """The person whose approving decision an effect carries out (they held the approver role to decide)."""
    try:
        channel = Channel(decision.channel)
    except ValueError:
        channel = Channel.AGENT
    return Actor(decision.approver_id, decision.approver, Role.APPROVER, channel)


def place_approved_order(execution: Any, request: ApprovalRequest, actor: Actor) -> dict[str, Any]:
    """Send the order ``request`` names through ``execution`` (``services.execution.ExecutionService``) as
    ``actor``; a JSON-ready outcome with ``sent`` true or false and the refusal codes."""
    subject = request.subject
    intent = order_intent_of(subject)
    if intent.client_order_id != subject.order_intent_hash:
        return {"sent": False, "codes": ["INTENT_MISMATCH"], "client_order_id": intent.client_order_id,
                "order_intent_hash": subject.order_intent_hash}
    outcome = execution.place(actor, intent)
    if isinstance(outcome, Order):
        return {"sent": True, "client_order_id": outcome.client_order_id, "symbol": intent.symbol,
                "side": intent.side.value, "qty": float(intent.qty), "order_status": outcome.status.value,
                "filled_qty": float(outcome.filled_qty),
                "avg_fill_price": None if outcome.avg_fill_price is None else float(outcome.avg_fill_price),
                "broker_order_id": outcome.broker_order_id}
    codes = [str(c) for c in (getattr(outcome, "codes", None) or [getattr(outcome, "code", "REFUSED")])]
    return {"sent": False, "codes": codes, "client_order_id": intent.client_order_id,
            "message": str(getattr(outcome, "detail", "") or getattr(outcome, "reason", "") or "refused")}


def _account(execution: Any, request: ApprovalRequest) -> Any:
    """The execution path of the paper account the request names (``execution``'s own when it names none)."""
    account = request.subject.account_id
    found = execution.for_account(account) if account and hasattr(execution, "for_account") else execution
    if found is None:
        raise ApprovalError(f"approval {request.id} names account {account}, which this execution path does not "
                            "trade", code="unknown_account", details={"account_id": account})
    return found


def limit_change_effect(limits: Any) -> Effect:
    """The effect of an approved risk-limit change: ``limits`` (``services.limits.LimitService``) puts it in
    force as the approver, if the limits in force are still those it was asked against."""

    def apply_change(request: ApprovalRequest, decision: Any) -> dict[str, Any]:
        return limits.apply_requested(decider(decision), request)

    return apply_change


def execution_effects(execution: Any, apply_limits: Effect | None = None) -> dict[str, Effect]:
    """The effects of approved orders, resume and breaker-reset requests on ``execution`` (see the module
    docstring)."""

    def send(request: ApprovalRequest, decision: Any) -> dict[str, Any]:
        outcome = place_approved_order(_account(execution, request), request, decider(decision))
        if not outcome.get("sent"):
            raise ApprovalError(f"approved order {request.subject.order_intent_hash} was not sent: "
                                f"{outcome.get('codes')}", code="order_not_sent", details=outcome)
        return outcome

    def limit(request: ApprovalRequest, decision: Any) -> dict[str, Any]:
        extra = request.subject.model_extra or {}
        if extra.get("action") == "resume_trading":
            state = execution.resume(decider(decision), request.id)
            return {"trading_status": state.status.value, "halt_id": extra.get("halt_id")}
        if apply_limits is not None:
            return apply_limits(request, decision)
        return {"note": "the risk_limit approval is stored; nothing applies it in this run"}

    def reset(request: ApprovalRequest, decision: Any) -> dict[str, Any]:
        state = _account(execution, request).reset_breaker(decider(decision), request.id)
        return {"trading_status": state.status.value, "account_id": request.subject.account_id}

    return {"paper_order": send, "live_order": send, "risk_limit": limit, "breaker_reset": reset}
