"""Risk limits: what is in force, proposals to change them, and putting an approved change in force.

A proposal is stored together with its approval request and the request's audit row; only a decision by
someone other than the proposer (``ApprovalService``) lets ``apply`` put it in force, and applying writes
its own audit row in the same transaction as the new limits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from guardrails.approvals import ApprovalRequest
from guardrails.limits import LimitChangeProposal, propose_change
from guardrails.policy import Actor, Operation
from guardrails.risk_policy import RiskLimits
from memory.approvals import ApprovalStore
from memory.audit import AuditLog
from memory.db import Database
from memory.trading_state import APPROVAL_TTL, RiskLimitStore, new_approval_id
from services.approvals import store_request
from services.operations import operation


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LimitService:
    """The risk limits on ``database`` for an authenticated actor."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = _utc_now,
                 allow_self_approval: bool = False):
        self.database, self.clock, self.allow_self_approval = database, clock, allow_self_approval
        self.store = RiskLimitStore(database)
        self.approvals = ApprovalStore(database)
        self.audit = AuditLog(database, clock=clock)

    @operation(Operation.READ_TRADING, one_transaction=False)
    def view(self, actor: Actor) -> tuple[RiskLimits, list[dict[str, Any]]]:
        """``(the limits in force, the pending proposals)``: those proposed here (CLI, API, web: put in force by
        ``apply`` once approved) and those asked for in a conversation (``in_conversation``: a pending
        ``risk_limit`` approval with the changes, put in force by the approval itself)."""
        pending = [{**p, "in_conversation": False} for p in self.store.pending()]
        proposed_here = {p["approval_id"] for p in pending}
        asked = [{"proposal_id": r.subject.get("proposal_id"), "approval_id": r.id, "changes": r.subject["changes"],
                  "requested_by": r.requester, "reason": r.summary, "created_at": r.created_at,
                  "in_conversation": True}
                 for r in self.approvals.list("pending")
                 if r.kind == "risk_limit" and r.subject.get("changes") and r.id not in proposed_here]
        return self.store.current(), sorted(pending + asked, key=lambda p: p["created_at"])

    @operation(Operation.PROPOSE_LIMIT_CHANGE)
    def propose(self, actor: Actor, changes: dict[str, Any], *, reason: str = "") -> tuple[LimitChangeProposal, str,
                                                                                          dict[str, Any]]:
        """Validate the change (``ConfigError`` naming the field) and store it with the approval request someone
        else must decide; returns the proposal, the approval id and the changes ``{limit: {from, to}}``."""
        now = self.clock()
        proposal = propose_change(self.store.current(), changes, actor.name, created_at=now)
        approval_id = new_approval_id()
        diff = self.store.store_proposal(proposal, approval_id, reason=reason, now=now)
        request = ApprovalRequest(
            id=approval_id, kind="risk_limit", requester=actor.name, requester_id=actor.user_id,
            channel=actor.channel.value, thread_id=None,
            subject={"limit_change_id": proposal.proposal_id, "proposal_id": proposal.proposal_id,  # type: ignore
                     "changes": diff},
            evidence={"current": proposal.current.model_dump(mode="json")}, summary=reason or "risk limit change",
            created_at=now, expires_at=now + APPROVAL_TTL)
        store_request(self.approvals, self.audit, actor, request)
        return proposal, approval_id, diff

    @operation(Operation.APPLY_LIMIT_CHANGE)
    def apply(self, actor: Actor, proposal_id: str) -> RiskLimits:
        """Put an approved proposal in force (``ApprovalError`` unless approved by someone else)."""
        before = self.store.current()
        limits = self.store.apply(proposal_id, allow_self_approval=self.allow_self_approval)
        changed = {k: {"from": v, "to": limits.model_dump(mode="json")[k]}
                   for k, v in before.model_dump(mode="json").items() if limits.model_dump(mode="json")[k] != v}
        self.audit.append(actor.name, actor.channel.value, "limits_applied", f"proposal:{proposal_id}",
                          {"changes": changed})
        return limits

    @operation(Operation.APPLY_LIMIT_CHANGE)
    def apply_requested(self, actor: Actor, request: ApprovalRequest) -> dict[str, Any]:
        """Put in force the change a conversation asked for (``propose_risk_limit_change``), once ``actor``
        approved it and the graph re-validated the decision: the limits in force must still be those the
        request was made against (``ApprovalError`` ``stale_evidence`` otherwise). The new limits and the
        ``limits_applied`` audit row are stored in one transaction; returns ``{"applied": {limit: {from, to}}}``."""
        changes = (request.subject.model_extra or {}).get("changes") or {}
        expected = RiskLimits.model_validate((request.evidence or {}).get("current") or {})
        proposal = propose_change(expected, {k: v["to"] if isinstance(v, dict) else v for k, v in changes.items()},
                                  request.requester, created_at=request.created_at)
        self.store.replace(expected, proposal.proposed, request.id)
        before, after = expected.model_dump(mode="json"), proposal.proposed.model_dump(mode="json")
        changed = {k: {"from": before[k], "to": after[k]} for k in proposal.changes}
        self.audit.append(actor.name, actor.channel.value, "limits_applied", f"approval:{request.id}",
                          {"changes": changed, "requested_by": request.requester})
        return {"applied": changed}
