"""Human approvals: ``/api/v1/approvals`` — one ``ApprovalService`` behind the API, CLI, web and Slack.

The API hands the service the authenticated caller (channel ``api``). Who may decide what (the approver
role, never one's own request) is the service's rule, not ours.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CurrentActor
from api.routers.runtime import ApprovalReaderDep, ApprovalServiceDep
from api.schemas.approvals import ApprovalListPublic, ApprovalOutcomePublic, ApprovalPublic, DecisionRequest
from api.schemas.errors import error_responses
from services.approvals import approval_json

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"], responses=error_responses(401, 403, 429))
ApprovalId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_\-]{1,64}$", description="e.g. apr_1a2b3c4d5e6f")]


@router.get("", response_model=ApprovalListPublic, responses=error_responses(400, 422),
            summary="Approval requests, newest first (viewer)")
def list_approvals(actor: CurrentActor, service: ApprovalReaderDep,
                   status: Annotated[str | None, Query(pattern=r"^[a-z]{1,16}$",
                                                       description="pending, approved, rejected, applied, …")]
                   = None) -> ApprovalListPublic:
    records = service.list(actor, status)
    return ApprovalListPublic(count=len(records), approvals=[approval_json(r) for r in records])


@router.get("/{approval_id}", response_model=ApprovalPublic, responses=error_responses(404, 422),
            summary="One request with its evidence and decision (viewer)")
def get_approval(actor: CurrentActor, service: ApprovalReaderDep, approval_id: ApprovalId) -> ApprovalPublic:
    return ApprovalPublic.model_validate(approval_json(service.show(actor, approval_id)))


@router.post("/{approval_id}/approve", response_model=ApprovalOutcomePublic, responses=error_responses(404, 409, 422),
             summary="Approve as the calling user; a waiting thread resumes (approver)")
def approve(actor: CurrentActor, service: ApprovalServiceDep, approval_id: ApprovalId,
            body: DecisionRequest | None = None) -> ApprovalOutcomePublic:
    outcome = service.approve(actor, approval_id, body.comment if body else None)
    return ApprovalOutcomePublic.model_validate(outcome.to_dict())


@router.post("/{approval_id}/reject", response_model=ApprovalOutcomePublic, responses=error_responses(404, 409, 422),
             summary="Reject with a reason (comment required); the agent is told why (approver)")
def reject(actor: CurrentActor, service: ApprovalServiceDep, approval_id: ApprovalId,
           body: DecisionRequest) -> ApprovalOutcomePublic:
    outcome = service.reject(actor, approval_id, body.comment or "")
    return ApprovalOutcomePublic.model_validate(outcome.to_dict())
