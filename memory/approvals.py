"""Approval requests and their decisions. Requesters and deciders are stored users (their ids, with the name
they had), so a decision can be checked against who asked, and names a real person."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from errors import NotFoundError
from guardrails.redaction import redact
from memory.db import Database
from memory.models.ladder import ApprovalDecisionRow, ApprovalRequestRow


@dataclass(frozen=True)
class DecisionRecord:
    approval_id: str
    verdict: str
    approver: str
    channel: str
    comment: str | None
    decided_at: datetime
    approver_id: int | None = None


@dataclass(frozen=True)
class ApprovalRecord:
    """A stored request, its decision (if any), and what happened when the graph acted on it."""

    id: str
    kind: str
    status: str
    subject: dict[str, Any]
    evidence: dict[str, Any]
    summary: str
    requester: str
    channel: str
    thread_id: str | None
    created_at: datetime
    expires_at: datetime
    outcome: dict[str, Any] | None
    closed_at: datetime | None
    decision: DecisionRecord | None
    requester_id: int | None = None

    def request_fields(self) -> dict[str, Any]:
        """The fields of the original request (what ``guardrails.approvals.ApprovalRequest`` validates)."""
        return {k: getattr(self, k) for k in ("id", "kind", "subject", "evidence", "summary", "requester",
                                               "requester_id", "channel", "thread_id", "created_at", "expires_at")}


def _decision(row: ApprovalDecisionRow | None) -> DecisionRecord | None:
    if row is None:
        return None
    return DecisionRecord(row.approval_id, row.verdict, row.approver, row.channel, row.comment, row.decided_at,
                          row.approver_id)


AlsoWrite = Callable[[Connection | None], None]  # more writes for the same transaction (e.g. audit rows)


class ApprovalStore:
    """Approval requests and decisions. One decision per request, enforced by a unique constraint."""

    def __init__(self, database: Database):
        self._db = database

    @property
    def database(self) -> Database:
        return self._db

    def save_request(self, request: dict[str, Any], *, then: AlsoWrite | None = None) -> bool:
        """Store a new pending request; True when this call stored it. Saving the same id again changes nothing
        (node re-runs are safe). ``then(connection)`` runs in the same transaction, only when the request is new:
        what it writes (the request's audit row) is stored exactly once, together with the request."""
        values = {k: request[k] for k in ("id", "kind", "subject", "evidence", "summary", "requester", "channel",
                                          "thread_id", "created_at", "expires_at")}
        values["requester_id"] = request.get("requester_id")
        values["summary"] = redact(values["summary"])  # words a model or a person wrote
        with self._db.session() as s:
            stored = s.execute(insert(ApprovalRequestRow).values(status="pending", **values).on_conflict_do_nothing()
                               .returning(ApprovalRequestRow.id)).first() is not None
            if stored and then is not None:
                then(s.connection())
            return stored

    def get(self, approval_id: str) -> ApprovalRecord:
        with self._db.session() as s:
            row = s.get(ApprovalRequestRow, approval_id)
            if row is None:
                raise NotFoundError(f"approval {approval_id!r} does not exist", code="approval_not_found")
            decision = s.scalar(select(ApprovalDecisionRow).where(ApprovalDecisionRow.approval_id == approval_id))
            return self._record(row, decision)

    def list(self, status: str | None = None, limit: int = 200) -> list[ApprovalRecord]:
        with self._db.session() as s:
            query = select(ApprovalRequestRow, ApprovalDecisionRow).outerjoin(
                ApprovalDecisionRow, ApprovalDecisionRow.approval_id == ApprovalRequestRow.id
            )
            if status:
                query = query.where(ApprovalRequestRow.status == status)
            rows = s.execute(query.order_by(ApprovalRequestRow.created_at.desc()).limit(limit)).all()
            return [self._record(r, d) for r, d in rows]

    def record_decision(
        self, approval_id: str, verdict: str, approver: str, channel: str, comment: str | None, decided_at: datetime,
        *, approver_id: int | None = None, then: AlsoWrite | None = None,
    ) -> tuple[DecisionRecord, bool]:
        """Store the decision; returns (the stored decision, whether this call stored it). ``then(connection)``
        runs in the same transaction, only when this call stored it (the decision's audit row).

        When a decision exists already, nothing is written and the existing one is returned: the
        caller decides whether the repeat is the same (idempotent) or a conflicting second decision.
        """
        try:
            with self._db.session() as s:
                req = s.get(ApprovalRequestRow, approval_id, with_for_update=True)
                if req is None:
                    raise NotFoundError(f"approval {approval_id!r} does not exist", code="approval_not_found")
                existing = s.scalar(select(ApprovalDecisionRow).where(ApprovalDecisionRow.approval_id == approval_id))
                if existing is not None:
                    return _decision(existing), False  # type: ignore[return-value]
                row = ApprovalDecisionRow(approval_id=approval_id, verdict=verdict, approver=approver,
                                          approver_id=approver_id, channel=channel,
                                          comment=redact(comment) if comment else comment, decided_at=decided_at)
                s.add(row)
                if req.status == "pending":
                    req.status = verdict
                s.flush()
                if then is not None:
                    then(s.connection())
                return _decision(row), True  # type: ignore[return-value]
        except IntegrityError:  # a concurrent decider won the race
            return self.get(approval_id).decision, False  # type: ignore[return-value]

    def close(self, approval_id: str, status: str, outcome: dict[str, Any], closed_at: datetime, *,
              then: AlsoWrite | None = None) -> bool:
        """Record what the graph did with the decision (applied, rejected, expired, invalid); True when this call
        closed the request. A closed request stays as it was closed (a re-run of the graph's apply step changes
        nothing). ``then(connection)`` runs in the same transaction, only when this call closed it."""
        with self._db.session() as s:
            closed = s.execute(update(ApprovalRequestRow)
                               .where(ApprovalRequestRow.id == approval_id, ApprovalRequestRow.closed_at.is_(None))
                               .values(status=status, outcome=outcome, closed_at=closed_at)
                               .returning(ApprovalRequestRow.id)).first() is not None
            if closed and then is not None:
                then(s.connection())
            return closed

    @staticmethod
    def _record(row: ApprovalRequestRow, decision: ApprovalDecisionRow | None) -> ApprovalRecord:
        return ApprovalRecord(row.id, row.kind, row.status, dict(row.subject), dict(row.evidence), row.summary,
                              row.requester, row.channel, row.thread_id, row.created_at, row.expires_at,
                              row.outcome, row.closed_at, _decision(decision), row.requester_id)


