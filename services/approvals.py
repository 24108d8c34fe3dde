"""``ApprovalService``: the one way to answer an approval, behind the CLI, web, Slack, API and MCP alike.

``approve``/``reject`` record the decision in Postgres (who, when, channel, comment), then hand it to
the thread that waits for it through a ``ThreadResumer`` (the graph layer supplies one), so the answer
may come days later from another process. The graph then re-validates the approval and performs its
side effect; the request's final status (applied, rejected, expired, invalid) is what it concluded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from errors import ApprovalError, ConfigError
from guardrails.approvals import ApprovalRequest, Verdict, check_approver
from memory.ladder import ApprovalRecord, ApprovalStore

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


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ApprovalService:
    """List, show and decide approvals. Without a ``resumer`` decisions are stored and no thread is resumed."""

    def __init__(self, store: ApprovalStore, resumer: ThreadResumer | None = None, *,
                 clock: Callable[[], datetime] = _utc_now, live_trading_enabled: bool = False,
                 distinct_live_approver: bool = True):
        self.store = store
        self.resumer = resumer
        self.clock = clock
        self.live_trading_enabled = live_trading_enabled
        self.distinct_live_approver = distinct_live_approver

    def now(self) -> datetime:
        value = self.clock()
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

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
            problem = check_approver(request, approver, live_trading_enabled=self.live_trading_enabled,
                                     distinct_live_approver=self.distinct_live_approver)
            if problem is not None:  # nothing stored: another approver (or a later config) may still approve
                raise ApprovalError(f"{approver} may not approve {id}: {problem.message}", code=problem.code.value,
                                    details=problem.details)
        repeated = existing is not None
        if existing is None:
            decision, stored = self.store.record_decision(id, verdict.value, approver, channel, comment, self.now())
            if not stored and (decision.verdict, decision.approver) != (verdict.value, approver):
                raise ApprovalError(f"approval {id} was decided concurrently ({decision.verdict} by "
                                    f"{decision.approver})", code="already_decided")
            repeated = not stored
        turn = self._resume(self.store.get(id))
        return ApprovalOutcome(self.store.get(id), turn, repeated)

    def _resume(self, record: ApprovalRecord) -> Any:
        """Resume the thread if it still waits for this approval (repeat calls after a crash land here too)."""
        if self.resumer is None or record.thread_id is None or record.decision is None:
            return None
        if self.resumer.waiting_approval(record.thread_id) != record.id:
            return None
        d = record.decision
        decision = {"approval_id": record.id, "verdict": d.verdict, "approver": d.approver, "channel": d.channel,
                    "comment": d.comment, "decided_at": d.decided_at.isoformat()}
        return self.resumer.resume(record.thread_id, decision)
