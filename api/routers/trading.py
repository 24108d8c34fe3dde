"""Trading: positions, orders, risk state, limits and their proposals, kill switch, reconciliation,
daily summary and the audit chain — each route one call into a service with the authenticated caller
(seed 002's ``/orders``, ``/positions``, ``/risk/...``); who may do what is the services' rule.

An order refused by the risk policy or the execution gate is a 422 whose details carry the reason
codes and facts (``order_rejected`` / ``order_denied``); nothing is sent. The kill switch goes on
with one call (trader; flattening too: approver); it comes off only with an approved release request.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import CurrentActor, DatabaseDep
from api.routers.runtime import ExecutionDep
from api.schemas.errors import error_responses
from api.schemas.trading import (
    AuditVerificationPublic,
    BreakerResetRequest,
    ClockAdvancePublic,
    ClockAdvanceRequest,
    ClockPublic,
    ClockSetRequest,
    DailySummaryPublic,
    KillSwitchPublic,
    KillSwitchRequest,
    LimitsPublic,
    OrderListPublic,
    OrderPublic,
    OrderRequest,
    PaperAccountsPublic,
    PositionsPublic,
    ProposalPublic,
    ProposalRequest,
    ReconciliationPublic,
    ReleaseRequest,
    ResumeRequest,
    RiskCheckPublic,
    RiskCheckRequest,
    RiskStatusPublic,
)
from errors import RiskRejected
from quant.data.symbols import SYMBOL_PATTERN
from quant.execution.gate import Denied
from quant.risk.decision import Rejected
from services.audit import verify_audit
from services.book_states import release_api_of
from services.daily_summary import generate_daily_summary
from services.execution import ExecutionService
from services.limits import LimitService
from services.market_clock import MarketClockService, moment_of
from services.paper_accounts import accounts_overview
from services.pre_trade_check import check_order
from services.risk_status import risk_status as account_risk_status

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


@router.get("/positions", response_model=PositionsPublic,
            summary="Positions with mark, value and unrealized P&L at the account's clock; cash, equity (viewer)")
def positions(actor: CurrentActor, service: ExecutionDep) -> PositionsPublic:
    return PositionsPublic.model_validate(service.holdings(actor).to_dict())


@router.post("/positions/reconcile", response_model=ReconciliationPublic,
             summary="Our recorded fills vs the broker's positions; a mismatch raises an alert (trader)")
def reconcile(actor: CurrentActor, service: ExecutionDep) -> ReconciliationPublic:
    return ReconciliationPublic.model_validate(service.reconcile(actor).to_dict())


@router.get("/orders", response_model=OrderListPublic, responses=error_responses(422), summary="Orders (viewer)")
def list_orders(actor: CurrentActor, service: ExecutionDep,
                status: Annotated[str | None, Query(pattern=r"^[a-z_]{1,24}$", description="a status, or open")]
                = None,
                symbol: Annotated[str | None, Query(pattern=SYMBOL_PATTERN)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> OrderListPublic:
    records = [r.to_dict() for r in service.orders_list(actor, status=status, symbol=symbol, limit=limit)]
    return OrderListPublic(count=len(records), orders=records)


@router.get("/orders/{order_id}", response_model=OrderPublic, responses=error_responses(404, 422),
            summary="One order with its recorded events (viewer)")
def get_order(actor: CurrentActor, service: ExecutionDep, order_id: OrderId) -> OrderPublic:
    record, events = service.order(actor, order_id)
    data = record.to_dict()
    data["events"] = [asdict(e) for e in events]
    return OrderPublic.model_validate(data)


@router.post("/orders", response_model=OrderPublic, status_code=201, responses=error_responses(422),
             summary="Place an order through risk policy, approval and kill switch (paper) (trader)")
def place_order(actor: CurrentActor, service: ExecutionDep, body: OrderRequest) -> OrderPublic:
    outcome = service.place_fields(actor, **body.model_dump(exclude_none=True))
    if isinstance(outcome, Rejected | Denied):
        raise refusal(outcome)
    return OrderPublic.model_validate(service.order(actor, outcome.client_order_id)[0].to_dict())


@router.post("/orders/{order_id}/cancel", response_model=OrderPublic, responses=error_responses(404, 422),
             summary="Cancel an open order (trader)")
def cancel_order(actor: CurrentActor, service: ExecutionDep, order_id: OrderId) -> OrderPublic:
    order = service.cancel(actor, order_id)
    return OrderPublic.model_validate(service.order(actor, order.client_order_id)[0].to_dict())


@router.get("/risk/status", response_model=RiskStatusPublic,
            summary="Trading state, equity, drawdown and daily loss against the limits (viewer)")
def risk_status(actor: CurrentActor, service: ExecutionDep) -> RiskStatusPublic:
    return RiskStatusPublic.model_validate(account_risk_status(service, actor))


@router.post("/risk/check", response_model=RiskCheckPublic, responses=error_responses(400, 422),
             summary="Would the risk policy pass this order at the account's clock (or as_of)? Nothing is sent; a "
                     "refusal is approved=false with its codes (viewer)")
def risk_check(actor: CurrentActor, service: ExecutionDep, body: RiskCheckRequest) -> RiskCheckPublic:
    fields = body.model_dump(exclude_none=True, exclude={"as_of"})
    answer = check_order(service, actor, as_of=moment_of(body.as_of, "as_of") if body.as_of else None, **fields)
    if answer.invalid_field is not None:  # no order to check: bad input, named
        raise RiskRejected(answer.to_dict()["reason"], code="invalid_order", details={"field": answer.invalid_field})
    return RiskCheckPublic.model_validate(answer.to_dict())


def _limits(service: ExecutionService) -> LimitService:
    return LimitService(service.database, clock=service.now, allow_self_approval=service.settings.allow_self_approval)


@router.get("/risk/limits", response_model=LimitsPublic, summary="Limits in force and pending proposals (viewer)")
def risk_limits(actor: CurrentActor, service: ExecutionDep) -> LimitsPublic:
    limits, pending = _limits(service).view(actor)
    return LimitsPublic(limits=limits.model_dump(mode="json"), pending=pending)


@router.post("/risk/proposals", response_model=ProposalPublic, status_code=201, responses=error_responses(400, 422),
             summary="Propose a limit change; it needs an approval by someone else (trader)")
def propose(actor: CurrentActor, service: ExecutionDep, body: ProposalRequest) -> ProposalPublic:
    proposal, approval_id, changes = _limits(service).propose(actor, body.changes, reason=body.reason)
    return ProposalPublic(proposal_id=proposal.proposal_id, approval_id=approval_id, changes=changes,
                          status="pending")


@router.post("/risk/proposals/{proposal_id}/apply", response_model=LimitsPublic,
             responses=error_responses(404, 409, 422),
             summary="Put an approved proposal in force (trader; 409 unless approved by someone else)")
def apply_proposal(actor: CurrentActor, service: ExecutionDep, proposal_id: ProposalId) -> LimitsPublic:
    limits_service = _limits(service)
    limits = limits_service.apply(actor, proposal_id)
    return LimitsPublic(limits=limits.model_dump(mode="json"), pending=limits_service.view(actor)[1])


@router.post("/risk/kill-switch", response_model=KillSwitchPublic,
             summary="HALT trading now: cancel open orders (trader); also flatten every position (approver)")
def kill_switch_on(actor: CurrentActor, service: ExecutionDep, body: KillSwitchRequest) -> KillSwitchPublic:
    report = service.kill_switch_on(actor, reason=body.reason, flatten=body.flatten)
    return KillSwitchPublic(**report.to_dict(), reason=report.state.reason, release=report.state.release,
                            release_api=release_api_of(report.state, service.account),
                            flatten_complete=not report.refused)


def _state_answer(service: ExecutionService, state: Any, approval_id: str | None) -> KillSwitchPublic:
    """The trading state the account is under now, with what lifts it (CLI and API) and the approval involved."""
    return KillSwitchPublic(account_id=service.account, trading_state=state.status.value, halt_id=state.halt_id,
                            reason=state.reason, release=state.release,
                            release_api=release_api_of(state, service.account), approval_id=approval_id)


@router.post("/risk/kill-switch/release-request", response_model=KillSwitchPublic, status_code=201,
             responses=error_responses(400, 422),
             summary="Ask for the approval that turning the kill switch off needs (trader)")
def request_release(actor: CurrentActor, service: ExecutionDep, body: ReleaseRequest) -> KillSwitchPublic:
    approval_id = service.request_resume(actor, reason=body.reason)
    state = service.trading_state()
    return _state_answer(service, state, approval_id)


@router.post("/risk/kill-switch/release", response_model=KillSwitchPublic, responses=error_responses(404, 409, 422),
             summary="Turn the kill switch off with a release request someone else approved (trader)")
def release(actor: CurrentActor, service: ExecutionDep, body: ResumeRequest) -> KillSwitchPublic:
    state = service.resume(actor, body.approval_id)
    return _state_answer(service, state, body.approval_id)


@router.post("/risk/breaker/reset-request", response_model=KillSwitchPublic, status_code=201,
             responses=error_responses(400, 422),
             summary="Ask for the approval that resets the account's breaker baseline (trader)")
def request_breaker_reset(actor: CurrentActor, service: ExecutionDep, body: BreakerResetRequest) -> KillSwitchPublic:
    approval_id = service.request_breaker_reset(actor, reason=body.reason)
    state = service.trading_state()
    return _state_answer(service, state, approval_id)


@router.post("/risk/breaker/reset", response_model=KillSwitchPublic, responses=error_responses(400, 404, 409, 422),
             summary="Reset the account's breaker baseline with a request someone else approved (trader)")
def reset_breaker(actor: CurrentActor, service: ExecutionDep, body: ResumeRequest) -> KillSwitchPublic:
    state = service.reset_breaker(actor, body.approval_id)
    return _state_answer(service, state, body.approval_id)


@router.get("/clock", response_model=ClockPublic,
            summary="The clock the account's book runs on: a simulated market (and its date) or real time (viewer)")
def market_clock(actor: CurrentActor, service: ExecutionDep) -> ClockPublic:
    clock = service.account_clock(actor)
    return ClockPublic(**clock.to_dict(), description=clock.describe())


@router.post("/clock/advance", response_model=ClockAdvancePublic, response_model_by_alias=True,
             responses=error_responses(400, 422),
             summary="Step the account's simulated market forward; resting orders fill at each new bar (trader)")
def advance_clock(actor: CurrentActor, service: ExecutionDep, body: ClockAdvanceRequest) -> ClockAdvancePublic:
    clocks = MarketClockService(service.database, service.settings)
    return ClockAdvancePublic.model_validate(clocks.advance(actor, service.account, sessions=body.days).to_dict())


@router.post("/clock/set", response_model=ClockPublic, responses=error_responses(400, 422),
             summary="Put the account's simulated market on the last stored session at or before a date (backward "
                     "only for an account without orders) (trader)")
def set_clock(actor: CurrentActor, service: ExecutionDep, body: ClockSetRequest) -> ClockPublic:
    clock = MarketClockService(service.database, service.settings).set_to(actor, service.account,
                                                                           moment_of(body.date, "date"))
    return ClockPublic(**clock.to_dict(), description=clock.describe())


@router.post("/clock/real", response_model=ClockPublic, responses=error_responses(400),
             summary="Leave the simulated market: the account's now becomes real time (needs current data) (trader)")
def real_clock(actor: CurrentActor, service: ExecutionDep) -> ClockPublic:
    clock = MarketClockService(service.database, service.settings).use_real_time(actor, service.account)
    return ClockPublic(**clock.to_dict(), description=clock.describe())


@router.get("/paper/accounts", response_model=PaperAccountsPublic,
            summary="Every paper account: its clock, trading state, equity and number of positions (viewer)")
def paper_accounts(actor: CurrentActor, service: ExecutionDep) -> PaperAccountsPublic:
    rows = [row.to_dict() for row in accounts_overview(service, actor)]
    return PaperAccountsPublic(count=len(rows), accounts=rows)


@router.get("/summary/daily", response_model=DailySummaryPublic,
            summary="The daily summary: P&L, positions, risk, pending approvals, alerts (viewer)")
def daily_summary(actor: CurrentActor, service: ExecutionDep) -> DailySummaryPublic:
    summary = generate_daily_summary(service, actor)
    return DailySummaryPublic(**summary.to_dict(), text=summary.render_text())


@router.get("/audit/verify", response_model=AuditVerificationPublic,
            summary="Re-check the whole audit hash chain (admin)")
def audit_verify(actor: CurrentActor, database: DatabaseDep) -> AuditVerificationPublic:
    result = verify_audit(actor, database)
    return AuditVerificationPublic(**result.to_dict(), message=result.message())
