"""Changing a risk limit needs its own approval; and the execution gate, re-exported for the guardrails layer.

``propose_change`` validates the new limits now (so a bad value fails at the proposal, naming the field)
and returns a PENDING proposal; ``apply`` returns the new ``RiskLimits`` only with an approved approval
of scope RISK_LIMIT for that proposal, decided by someone other than the requester.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from errors import ApprovalError, ConfigError
from guardrails.risk_policy import RiskLimits
from quant.execution.gate import (
    Approval,
    ApprovalScope,
    ApprovalStatus,
    Authorized,
    Denied,
    DenyCode,
    ExecutionGate,
    GatedBroker,
)

__all__ = ["Approval", "ApprovalScope", "ApprovalStatus", "Authorized", "Denied", "DenyCode", "ExecutionGate",
           "GatedBroker", "LimitChangeProposal", "ProposalStatus", "apply", "propose_change"]


class ProposalStatus(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"


@dataclass(frozen=True)
class LimitChangeProposal:
    """A requested change of risk limits: ``changes`` maps field -> (old, new)."""

    proposal_id: str
    current: RiskLimits
    proposed: RiskLimits
    changes: Mapping[str, tuple[Any, Any]]
    requested_by: str
    status: ProposalStatus = ProposalStatus.PENDING
    created_at: datetime | None = None


def propose_change(current: RiskLimits, changes: Mapping[str, Any], requested_by: str, *,
                   created_at: datetime | None = None) -> LimitChangeProposal:
    """A PENDING proposal; raises ``ConfigError`` naming the field for unknown fields or out-of-range values."""
    if not requested_by:
        raise ConfigError("a limit change needs a requester", details={"field": "requested_by"})
    unknown = sorted(set(changes) - set(RiskLimits.model_fields))
    if unknown:
        raise ConfigError(f"unknown risk limit(s): {', '.join(unknown)}", details={"field": unknown[0]})
    try:
        proposed = RiskLimits(**{**current.model_dump(), **dict(changes)})
    except ValidationError as bad:
        first = bad.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"risk limit {name!r} invalid: {first['msg']}",
                          details={"field": name, "value": repr(changes.get(name))}) from None
    diff = {k: (getattr(current, k), getattr(proposed, k)) for k in changes
            if getattr(current, k) != getattr(proposed, k)}
    if not diff:
        raise ConfigError("the proposal changes nothing", details={"field": "changes"})
    digest = hashlib.sha256(json.dumps({"from": current.model_dump(mode="json"), "to": proposed.model_dump(
        mode="json"), "by": requested_by, "at": created_at.isoformat() if created_at else ""},
        sort_keys=True).encode()).hexdigest()[:16]
    return LimitChangeProposal(proposal_id=f"limits-{digest}", current=current, proposed=proposed,
                               changes=MappingProxyType(diff), requested_by=requested_by, created_at=created_at)


def apply(proposal: LimitChangeProposal, approval: Approval | None, *, allow_self_approval: bool = False
          ) -> tuple[RiskLimits, LimitChangeProposal]:
    """The new limits and the proposal marked APPLIED; ``ApprovalError`` unless ``approval`` approves it (by
    someone other than the requester, unless the install allows self-approval)."""
    if approval is None:
        raise ApprovalError(f"limit change {proposal.proposal_id} needs an approval")
    if approval.scope is not ApprovalScope.RISK_LIMIT or approval.subject != proposal.proposal_id:
        raise ApprovalError(f"approval {approval.approval_id} does not cover limit change {proposal.proposal_id}",
                            details={"approval_id": approval.approval_id, "proposal_id": proposal.proposal_id})
    if approval.status is not ApprovalStatus.APPROVED:
        raise ApprovalError(f"approval {approval.approval_id} is {approval.status.value}, not approved",
                            details={"approval_id": approval.approval_id})
    if approval.approver == proposal.requested_by and not allow_self_approval:
        raise ApprovalError(f"{approval.approver} requested limit change {proposal.proposal_id} and may not "
                            "approve it", details={"approver": approval.approver})
    if proposal.status is not ProposalStatus.PENDING:
        raise ApprovalError(f"limit change {proposal.proposal_id} was already applied")
    return proposal.proposed, replace(proposal, status=ProposalStatus.APPLIED)
