"""Trading: positions, orders, risk state, limits and their proposals, kill switch, reconciliation,
daily summary and the audit chain — each route one call into ``ExecutionService`` (seed 002's
``/orders``, ``/positions``, ``/risk/...``).

An order refused by the risk policy or the execution gate is a 422 whose details carry the reason
codes and facts (``order_rejected`` / ``order_denied``); nothing is sent. The kill switch goes on
with one call (trader); it comes off only with an approved release request.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import AdminUser, DatabaseDep, TraderUser, ViewerUser
from api.routers.runtime import CHANNEL, ExecutionDep
from api.schemas.errors import error_responses
from api.schemas.trading import (
    AuditVerificationPublic,
    DailySummaryPublic,
    KillSwitchPublic,
    KillSwitchRequest,
    LimitsPublic,
    OrderListPublic,
    OrderPublic,
    OrderRequest,
    PositionsPublic,
    ProposalPublic,
    ProposalRequest,
    ReconciliationPublic,
    ReleaseRequest,
    ResumeRequest,
    RiskStatusPublic,
)
from errors import RiskRejected
from memory.audit import AuditLog
from quant.execution.gate import Denied
from quant.risk.decision import Rejected
from services.daily_summary import generate_daily_summary

router = APIRouter(prefix="/api/v1", tags=["trading"], responses=error_responses(401, 403, 429))
OrderId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$", description="client order id, e.g. qp-3fa9…")]
ProposalId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")]


def refusal(outcome: Rejected | Denied) -> RiskRejected:
    """The 422 for an order the policy rejected or the gate denied: codes and facts, never free text only."""
    if isinstance(outcome, Rejected):
        details = {"codes": [str(c) for c in outcome.codes],
                   "facts": {str(k): v for k, v in dict(outcome.details).items()}}
        return RiskRejected(outcome.reason or f"order rejected: {', '.join(details['codes'])}",
                            code="order_rejected", details=details)
    return RiskRejected(f"order denied: {outcome.code.value}: {outcome.detail}", code="order_denied",
                        details={"codes": [outcome.code.value], "detail": outcome.detail})


@router.get("/positions", response_model=PositionsPublic, summary="Positions, cash and equity at the broker (viewer)")
def positions(user: ViewerUser, service: ExecutionDep) -> PositionsPublic:
    account = service.broker.get_account()
    rows = [{"symbol": p.symbol, "qty": str(p.qty), "avg_entry_price": str(p.avg_entry_price)}
            for p in service.broker.get_positions()]
    return PositionsPublic(cash_usd=str(account.cash_usd), equity_usd=str(account.equity_usd), positions=rows)


@router.post("/positions/reconcile", response_model=ReconciliationPublic,
             summary="Our recorded fills vs the broker's positions; a mismatch raises an alert (trader)")
def reconcile(user: TraderUser, service: ExecutionDep) -> ReconciliationPublic:
    return ReconciliationPublic.model_validate(service.reconcile(actor=user.name).to_dict())


@router.get("/orders", response_model=OrderListPublic, responses=error_responses(422), summary="Orders (viewer)")
def list_orders(user: ViewerUser, service: ExecutionDep,
                status: Annotated[str | None, Query(pattern=r"^[a-z_]{1,24}$", description="a status, or open")]
                = None,
                symbol: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9.\-^=]{1,16}$")] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> OrderListPublic:
    records = [r.to_dict() for r in service.orders.list(status=status, symbol=symbol, limit=limit)]
    return OrderListPublic(count=len(records), orders=records)


@router.get("/orders/{order_id}", response_model=OrderPublic, responses=error_responses(404, 422),
            summary="One order with its recorded events (viewer)")
def get_order(user: ViewerUser, service: ExecutionDep, order_id: OrderId) -> OrderPublic:
    data = service.orders.get(order_id).to_dict()
    data["events"] = [asdict(e) for e in service.orders.events(order_id)]
    return OrderPublic.model_validate(data)


@router.post("/orders", response_model=OrderPublic, status_code=201, responses=error_responses(422),
             summary="Place an order through risk policy, approval and kill switch (paper) (trader)")
def place_order(user: TraderUser, service: ExecutionDep, body: OrderRequest) -> OrderPublic:
    outcome = service.place_fields(requested_by=user.name, **body.model_dump(exclude_none=True))
    if isinstance(outcome, Rejected | Denied):
        raise refusal(outcome)
    return OrderPublic.model_validate(service.orders.get(outcome.client_order_id).to_dict())


@router.post("/orders/{order_id}/cancel", response_model=OrderPublic, responses=error_responses(404, 422),
             summary="Cancel an open order (trader)")
def cancel_order(user: TraderUser, service: ExecutionDep, order_id: OrderId) -> OrderPublic:
    order = service.cancel(order_id, actor=user.name)
    return OrderPublic.model_validate(service.orders.get(order.client_order_id).to_dict())


@router.get("/risk/status", response_model=RiskStatusPublic,
            summary="Trading state, equity, drawdown and daily loss against the limits (viewer)")
def risk_status(user: ViewerUser, service: ExecutionDep) -> RiskStatusPublic:
    from guardrails.trading_state import daily_loss_pct, drawdown_pct

    book = service.book()
    state, limits = service.trading_state(book), service.limits.current()
    return RiskStatusPublic(
        trading_state=state.status.value, halt_id=state.halt_id, equity_usd=str(book.equity_usd),
        cash_usd=str(book.cash_usd), positions={k: str(v) for k, v in book.positions.items()},
        drawdown_pct=float(drawdown_pct(book)), max_drawdown_pct=limits.max_drawdown_pct,
        daily_loss_pct=float(daily_loss_pct(book)), daily_loss_limit_pct=limits.daily_loss_limit_pct,
        last_transitions=[asdict(t) for t in service.states.transitions(5)])


@router.get("/risk/limits", response_model=LimitsPublic, summary="Limits in force and pending proposals (viewer)")
def risk_limits(user: ViewerUser, service: ExecutionDep) -> LimitsPublic:
    return LimitsPublic(limits=service.limits.current().model_dump(mode="json"), pending=service.limits.pending())


@router.post("/risk/proposals", response_model=ProposalPublic, status_code=201, responses=error_responses(400, 422),
             summary="Propose a limit change; it needs an approval by someone else (trader)")
def propose(user: TraderUser, service: ExecutionDep, body: ProposalRequest) -> ProposalPublic:
    proposal, approval_id = service.limits.propose(body.changes, requested_by=user.name, channel=CHANNEL,
                                                   reason=body.reason, now=service.now())
    changes = next(p["changes"] for p in service.limits.pending() if p["proposal_id"] == proposal.proposal_id)
    return ProposalPublic(proposal_id=proposal.proposal_id, approval_id=approval_id, changes=changes,
                          status="pending")


@router.post("/risk/proposals/{proposal_id}/apply", response_model=LimitsPublic,
             responses=error_responses(404, 409, 422),
             summary="Put an approved proposal in force (trader; 409 unless approved)")
def apply_proposal(user: TraderUser, service: ExecutionDep, proposal_id: ProposalId) -> LimitsPublic:
    limits = service.limits.apply(proposal_id)
    return LimitsPublic(limits=limits.model_dump(mode="json"), pending=service.limits.pending())


@router.post("/risk/kill-switch", response_model=KillSwitchPublic,
             summary="HALT trading now: cancel open orders, optionally flatten; no approval needed (trader)")
def kill_switch_on(user: TraderUser, service: ExecutionDep, body: KillSwitchRequest) -> KillSwitchPublic:
    report = service.kill_switch_on(actor=user.name, channel=CHANNEL, reason=body.reason, flatten=body.flatten)
    return KillSwitchPublic(trading_state=report.state.status.value, halt_id=report.state.halt_id,
                            canceled=list(report.canceled), flatten_orders=len(report.flatten_orders))


@router.post("/risk/kill-switch/release-request", response_model=KillSwitchPublic, status_code=201,
             responses=error_responses(400, 422),
             summary="Ask for the approval that turning the kill switch off needs (trader)")
def request_release(user: TraderUser, service: ExecutionDep, body: ReleaseRequest) -> KillSwitchPublic:
    approval_id = service.request_resume(actor=user.name, channel=CHANNEL, reason=body.reason)
    state = service.states.current()
    return KillSwitchPublic(trading_state=state.status.value, halt_id=state.halt_id, approval_id=approval_id)


@router.post("/risk/kill-switch/release", response_model=KillSwitchPublic, responses=error_responses(404, 409, 422),
             summary="Turn the kill switch off with an approved release request (trader)")
def release(user: TraderUser, service: ExecutionDep, body: ResumeRequest) -> KillSwitchPublic:
    state = service.resume(body.approval_id, actor=user.name, channel=CHANNEL)
    return KillSwitchPublic(trading_state=state.status.value, halt_id=state.halt_id, approval_id=body.approval_id)


@router.get("/summary/daily", response_model=DailySummaryPublic,
            summary="The daily summary: P&L, positions, risk, pending approvals, alerts (viewer)")
def daily_summary(user: ViewerUser, service: ExecutionDep) -> DailySummaryPublic:
    summary = generate_daily_summary(service)
    return DailySummaryPublic(**summary.to_dict(), text=summary.render_text())


@router.get("/audit/verify", response_model=AuditVerificationPublic,
            summary="Re-check the whole audit hash chain (admin)")
def audit_verify(user: AdminUser, database: DatabaseDep) -> AuditVerificationPublic:
    result = AuditLog(database).verify()
    return AuditVerificationPublic(**result.to_dict(), message=result.message())
