"""``ApprovalService``: the one way to ask for and answer an approval, behind every interface alike.

Every operation takes the authenticated ``Actor``. Asking stores the request and its audit row in one
transaction. Deciding needs the approver role (the policy table) and a decider who is not the requester
(segregation of duties, for every kind; a single-user install may relax it only with
``QUANTPILOT_ALLOW_SELF_APPROVAL``, and each decision it affects says so in the audit log); the decision
and its audit row are stored together, then handed to the thread that waits for it through a
``ThreadResumer`` (the graph layer supplies one), so the answer may come days later from another process.
The graph then re-validates the approval and performs its side effect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from errors import ApprovalError, ConfigError, PermissionDenied
from guardrails.approvals import (
    ApprovalRequest,
    RevalidationCode,
    Verdict,
    check_approver,
    request_operation,
    same_person,
)
from guardrails.policy import Actor, Operation, require
from memory.approvals import ApprovalRecord, ApprovalStore
from memory.audit import AuditLog
from services.operations import operation

STATUSES = ("pending", "approved", "rejected", "applied", "expired", "invalid")


class ThreadResumer(Protocol):
    """Continues a conversation thread that waits for a decision (``graph.approval_resume.GraphResumer``)."""

    def waiting_approval(self, thread_id: str) -> str | None:
        """The id of the approval ``thread_id`` waits for, or None."""

    def resume(self, thread_id: str, decision: dict[str, Any]) -> Any:
        """Resume the thread with ``decision``; returns the resumed turn (JSON-ready via ``to_dict``)."""


@dataclass(frozen=True)
class ApprovalOutcome:
    """The request as stored after the decision, and the resumed turn (None if the thread was not waiting)."""

    approval: ApprovalRecord
    turn: Any
    repeated: bool  # the same decision had been recorded before; nothing new was stored

    def to_dict(self) -> dict[str, Any]:
        return {"approval": approval_json(self.approval), "turn": None if self.turn is None else self.turn.to_dict(),
                "repeated": self.repeated}


def approval_json(record: ApprovalRecord) -> dict[str, Any]:
    data = {k: getattr(record, k) for k in ("id", "kind", "status", "subject", "evidence", "summary", "requester",
                                            "channel", "thread_id", "created_at", "expires_at", "outcome",
                                            "closed_at")}
    data["decision"] = None if record.decision is None else {
        k: getattr(record.decision, k) for k in ("verdict", "approver", "channel", "comment", "decided_at")}
    return data


def may_resume(record: ApprovalRecord) -> bool:
    """Whether deciding ``record`` may resume a conversation thread: it was asked in one, and the graph's apply step
    has not closed it yet (only that step closes a request, after its thread has passed the approval). An
    interface that builds the graph only to resume (the CLI) skips it otherwise."""
    return record.thread_id is not None and record.closed_at is None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def store_request(store: ApprovalStore, audit: AuditLog | None, actor: Actor, request: ApprovalRequest) -> bool:
    """Store ``request`` (asked by ``actor``) with its ``approval_requested`` audit row in one transaction; True
    when this call stored it (saving the same id again, as a re-run graph node does, changes nothing). Without
    an audit log (a graph unit test's in-memory store) the row is skipped, never faked."""
    require(actor, request_operation(request))
    details = {"kind": request.kind, "subject": request.subject.model_dump(mode="json", exclude_none=True),
               "thread_id": request.thread_id, "requester_id": request.requester_id}

    def audit_request(connection: Any) -> None:
        if audit is not None:
            audit.append(actor.name, actor.channel.value, "approval_requested", f"approval:{request.id}", details,
                         connection=connection)

    return store.save_request(request.model_dump(), then=audit_request)


class ApprovalService:
    """List, show, ask for and decide approvals. Without a ``resumer`` no thread is resumed."""

    def __init__(self, store: ApprovalStore, resumer: ThreadResumer | None = None, *,
                 clock: Callable[[], datetime] = _utc_now, live_trading_enabled: bool = False,
                 allow_self_approval: bool = False):
        self.store = store
        self.resumer = resumer
        self.clock = clock
        self.audit = AuditLog(store.database, clock=self.now)
        self.live_trading_enabled = live_trading_enabled
        self.allow_self_approval = allow_self_approval

    def now(self) -> datetime:
        value = self.clock()
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @operation(Operation.READ_APPROVALS, one_transaction=False)
    def list(self, actor: Actor, status: str | None = None) -> list[ApprovalRecord]:
        if status is not None and status not in STATUSES:
            raise ConfigError(f"unknown approval status {status!r}; one of {list(STATUSES)}")
        return self.store.list(status)

    @operation(Operation.READ_APPROVALS, one_transaction=False)
    def show(self, actor: Actor, id: str) -> ApprovalRecord:
        return self.store.get(id)

    def request(self, actor: Actor, request: ApprovalRequest) -> bool:
        """Store a request asked by ``actor`` (see ``store_request``)."""
        return store_request(self.store, self.audit, actor, request)

    @operation(Operation.DECIDE_APPROVAL, one_transaction=False)
    def approve(self, actor: Actor, id: str, comment: str | None = None) -> ApprovalOutcome:
        return self._decide(actor, id, Verdict.APPROVED, comment)

    @operation(Operation.DECIDE_APPROVAL, one_transaction=False)
    def reject(self, actor: Actor, id: str, comment: str) -> ApprovalOutcome:
        if not comment or not comment.strip():
            raise ApprovalError(f"rejecting {id} needs a comment saying why", code="comment_required")
        return self._decide(actor, id, Verdict.REJECTED, comment)

    def _decide(self, actor: Actor, id: str, verdict: Verdict, comment: str | None) -> ApprovalOutcome:
        if not actor.is_person:
            raise PermissionDenied(f"deciding {id} needs a person: sign in with your API key", code="not_a_person")
        record = self.store.get(id)
        existing = record.decision
        if existing is not None and (existing.verdict, existing.approver_id, existing.approver) != (
                verdict.value, actor.user_id, actor.name):
            raise ApprovalError(
                f"approval {id} was already {existing.verdict} by {existing.approver} at "
                f"{existing.decided_at.isoformat()}", code="already_decided",
                details={"verdict": existing.verdict, "approver": existing.approver})
        if existing is None and record.status != "pending":
            raise ApprovalError(f"approval {id} is {record.status}; it can no longer be decided", code="closed")
        request = ApprovalRequest.model_validate(record.request_fields())
        self_decided = same_person(request, actor.user_id, actor.name)
        if existing is None:
            self._check_decider(actor, request, verdict)
            self._record(actor, request, verdict, comment, self_decided)
        turn = self._resume(self.store.get(id))
        return ApprovalOutcome(self.store.get(id), turn, existing is not None)

    def _check_decider(self, actor: Actor, request: ApprovalRequest, verdict: Verdict) -> None:
        """Refuse before anything is stored: another approver (or a later configuration) may still decide."""
        problem = check_approver(request, actor.name, approver_id=actor.user_id,
                                 live_trading_enabled=self.live_trading_enabled or verdict == Verdict.REJECTED,
                                 allow_self_approval=self.allow_self_approval)
        if problem is None:
            return
        if problem.code is RevalidationCode.SELF_APPROVAL:
            raise PermissionDenied(
                f"{actor.name} asked for {request.id} and may not decide it: another approver must "
                "(segregation of duties)", code="self_approval", details=problem.details)
        raise ApprovalError(f"{actor.name} may not approve {request.id}: {problem.message}", code=problem.code.value,
                            details=problem.details)

    def _record(self, actor: Actor, request: ApprovalRequest, verdict: Verdict, comment: str | None,
                self_decided: bool) -> None:
        payload = {"kind": request.kind, "verdict": verdict.value, "requester": request.requester,
                   "requester_id": request.requester_id, "approver_id": actor.user_id, "comment": comment}
        if self_decided:  # only reachable with QUANTPILOT_ALLOW_SELF_APPROVAL=true: every such decision says so
            payload["self_approval_allowed_by_setting"] = True

        def audit_decision(connection: Any) -> None:
            self.audit.append(actor.name, actor.channel.value, "approval_decided", f"approval:{request.id}", payload,
                              connection=connection)

        decision, stored = self.store.record_decision(request.id, verdict.value, actor.name, actor.channel.value,
                                                      comment, self.now(), approver_id=actor.user_id,
                                                      then=audit_decision)
        if not stored and (decision.verdict, decision.approver_id) != (verdict.value, actor.user_id):
            raise ApprovalError(f"approval {request.id} was decided concurrently ({decision.verdict} by "
                                f"{decision.approver})", code="already_decided")

    def _resume(self, record: ApprovalRecord) -> Any:
        """Resume the thread if it still waits for this approval (repeat calls after a crash land here too)."""
        if self.resumer is None or record.thread_id is None or record.decision is None:
            return None
        if self.resumer.waiting_approval(record.thread_id) != record.id:
            return None
        d = record.decision
        decision = {"approval_id": record.id, "verdict": d.verdict, "approver": d.approver,
                    "approver_id": d.approver_id, "channel": d.channel, "comment": d.comment,
                    "decided_at": d.decided_at.isoformat()}
        return self.resumer.resume(record.thread_id, decision)
