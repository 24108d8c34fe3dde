"""``ApprovalService``: the one way to answer an approval, behind the CLI, web, Slack and API alike.

``approve``/``reject`` record the decision in Postgres (who, when, channel, comment), then resume
the interrupted thread with ``Command(resume=decision)`` on the checkpointer-backed graph, so the
answer may come days later from another process. The graph then re-validates the approval and
performs its side effect; the request's final status (applied, rejected, expired, invalid) is
what the graph concluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from errors import ApprovalError, ConfigError
from graph.approvals import ApprovalRequest, Verdict, check_approver
from graph.context import GraphContext
from graph.runner import TurnResult, pending_interrupt, resume_turn
from memory.ladder import ApprovalRecord, ApprovalStore

STATUSES = ("pending", "approved", "rejected", "applied", "expired", "invalid")


@dataclass(frozen=True)
class ApprovalOutcome:
    """The request as stored after the decision, and the resumed turn (None if the thread was not waiting)."""

    approval: ApprovalRecord
    turn: TurnResult | None
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


class ApprovalService:
    """List, show and decide approvals. ``graph`` may be None for read-only use (list/show)."""

    def __init__(self, store: ApprovalStore, graph: CompiledStateGraph | None = None,
                 context: GraphContext | None = None):
        self.store = store
        self.graph = graph
        self.context = context or GraphContext(approvals=store)

    def list(self, status: str | None = None) -> list[ApprovalRecord]:
        if status is not None and status not in STATUSES:
            raise ConfigError(f"unknown approval status {status!r}; one of {list(STATUSES)}")
        return self.store.list(status)

    def show(self, id: str) -> ApprovalRecord:
        return self.store.get(id)

    def approve(self, id: str, approver: str, channel: str, comment: str | None = None) -> ApprovalOutcome:
        return self._decide(id, Verdict.APPROVED, approver, channel, comment)

    def reject(self, id: str, approver: str, channel: str, comment: str) -> ApprovalOutcome:
        if not comment or not comment.strip():
            raise ApprovalError(f"rejecting {id} needs a comment saying why", code="comment_required")
        return self._decide(id, Verdict.REJECTED, approver, channel, comment)

    def _decide(self, id: str, verdict: Verdict, approver: str, channel: str, comment: str | None) -> ApprovalOutcome:
        if not approver or not approver.strip():
            raise ApprovalError("an approver name is required", code="approver_required")
        record = self.store.get(id)
        existing = record.decision
        if existing is not None and (existing.verdict, existing.approver) != (verdict.value, approver):
            raise ApprovalError(
                f"approval {id} was already {existing.verdict} by {existing.approver} at "
                f"{existing.decided_at.isoformat()}", code="already_decided",
                details={"verdict": existing.verdict, "approver": existing.approver})
        if existing is None and record.status != "pending":
            raise ApprovalError(f"approval {id} is {record.status}; it can no longer be decided", code="closed")
        if verdict == Verdict.APPROVED and existing is None:
            request = ApprovalRequest.model_validate(record.request_fields())
            problem = check_approver(request, approver, live_trading_enabled=self.context.live_trading_enabled,
                                     distinct_live_approver=self.context.distinct_live_approver)
            if problem is not None:  # nothing stored: another approver (or a later config) may still approve
                raise ApprovalError(f"{approver} may not approve {id}: {problem.message}", code=problem.code.value,
                                    details=problem.details)
        repeated = existing is not None
        if existing is None:
            decision, stored = self.store.record_decision(id, verdict.value, approver, channel, comment,
                                                          self.context.now())
            if not stored and (decision.verdict, decision.approver) != (verdict.value, approver):
                raise ApprovalError(f"approval {id} was decided concurrently ({decision.verdict} by "
                                    f"{decision.approver})", code="already_decided")
            repeated = not stored
        turn = self._resume(self.store.get(id))
        return ApprovalOutcome(self.store.get(id), turn, repeated)

    def _resume(self, record: ApprovalRecord) -> TurnResult | None:
        """Resume the thread if it still waits for this approval (repeat calls after a crash land here too)."""
        if self.graph is None or record.thread_id is None or record.decision is None:
            return None
        waiting = pending_interrupt(self.graph, record.thread_id)
        if waiting is None or waiting[1].get("id") != record.id:
            return None
        d = record.decision
        decision = {"approval_id": record.id, "verdict": d.verdict, "approver": d.approver, "channel": d.channel,
                    "comment": d.comment, "decided_at": d.decided_at.isoformat()}
        return resume_turn(self.graph, record.thread_id, decision, context=self.context)


def execution_effects(execution: Any, apply_limits: Any = None) -> dict[str, Any]:
    """The approval effects on the execution path (``memory.execution_service.ExecutionService``), for
    ``GraphContext.effects``: an approved ``paper_order``/``live_order`` sends exactly the order it names
    (risk, kill switch and the stored approval are checked again by the service); an approved resume
    request (kind ``risk_limit``, action ``resume_trading``) resumes trading. Other ``risk_limit``
    approvals go to ``apply_limits(request, decision)`` when given, else they are only recorded.
    An order the service does not send raises ``ApprovalError`` (the approval closes as invalid)."""
    from tools.execution import place_approved_order

    def send(request: ApprovalRequest, decision: Any) -> dict[str, Any]:
        outcome = place_approved_order(execution, request.subject.model_dump(mode="json"),
                                       requested_by=request.requester)
        if not outcome.get("sent"):
            raise ApprovalError(f"approved order {request.subject.order_intent_hash} was not sent: "
                                f"{outcome.get('codes')}", code="order_not_sent", details=outcome)
        return outcome

    def limit(request: ApprovalRequest, decision: Any) -> dict[str, Any]:
        if (request.subject.model_extra or {}).get("action") == "resume_trading":
            state = execution.resume(request.id, actor=decision.approver, channel=decision.channel)
            return {"trading_status": state.status.value, "halt_id": request.subject.model_extra.get("halt_id")}
        if apply_limits is not None:
            return apply_limits(request, decision)
        return {"note": "the risk_limit approval is stored; nothing applies it in this run"}

    return {"paper_order": send, "live_order": send, "risk_limit": limit}
