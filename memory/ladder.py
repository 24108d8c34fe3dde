"""Repositories for the promotion ladder: strategies (stage, version, params hash), stage transitions,
approval requests and decisions.

The ladder's rules live in ``guardrails/ladder.py``; these repositories only store, and refuse a write
whose expectations (stage, version, params hash) no longer hold, so a stale approval cannot move
a strategy whose parameters changed since.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from errors import ApprovalError, NotFoundError
from guardrails.redaction import redact
from memory.db import Database
from memory.models.ladder import ApprovalDecisionRow, ApprovalRequestRow, StageTransition, Strategy


def params_hash(params: dict[str, Any]) -> str:
    """SHA-256 (hex) of the parameters as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class StrategyRecord:
    id: str
    name: str
    kind: str
    stage: str
    version: int
    params: dict[str, Any]
    params_hash: str
    updated_at: datetime

    def subject(self) -> dict[str, Any]:
        """What an approval is checked against: stage, version and parameter hash now."""
        return {"stage": self.stage, "version": self.version, "params_hash": self.params_hash}


@dataclass(frozen=True)
class TransitionRecord:
    strategy_id: str
    from_stage: str
    to_stage: str
    version: int
    params_hash: str
    approval_id: str | None
    actor: str
    reason: str | None
    created_at: datetime


def _strategy(row: Strategy) -> StrategyRecord:
    return StrategyRecord(row.id, row.name, row.kind, row.stage, row.version, dict(row.params), row.params_hash,
                          row.updated_at)


class StrategyRegistry:
    """Strategies on the ladder. Changing parameters bumps the version and sends the strategy back to draft."""

    def __init__(self, database: Database):
        self._db = database

    def register(self, strategy_id: str, name: str, kind: str, params: dict[str, Any]) -> StrategyRecord:
        """Create the strategy at draft, or update its parameters (new version, back to draft if changed)."""
        digest = params_hash(params)
        with self._db.session() as s:
            row = s.get(Strategy, strategy_id, with_for_update=True)
            if row is None:
                row = Strategy(id=strategy_id, name=name, kind=kind, stage="draft", version=1, params=params,
                               params_hash=digest)
                s.add(row)
            elif row.params_hash != digest:
                s.add(StageTransition(strategy_id=strategy_id, from_stage=row.stage, to_stage="draft",
                                      version=row.version + 1, params_hash=digest, approval_id=None,
                                      actor="system", reason="parameters changed"))
                row.params, row.params_hash, row.version, row.stage = params, digest, row.version + 1, "draft"
                row.name, row.kind, row.updated_at = name, kind, datetime.now(UTC)
            s.flush()
            s.refresh(row)
            return _strategy(row)

    def get(self, strategy_id: str) -> StrategyRecord | None:
        with self._db.session() as s:
            row = s.get(Strategy, strategy_id)
            return None if row is None else _strategy(row)

    def list(self) -> list[StrategyRecord]:
        with self._db.session() as s:
            return [_strategy(r) for r in s.scalars(select(Strategy).order_by(Strategy.id))]

    def transition(
        self,
        strategy_id: str,
        to_stage: str,
        *,
        actor: str,
        expect_stage: str | None = None,
        expect_version: int | None = None,
        expect_params_hash: str | None = None,
        approval_id: str | None = None,
        reason: str | None = None,
    ) -> StrategyRecord:
        """Move the strategy to ``to_stage`` if it is still what the caller saw; raise ApprovalError if not."""
        with self._db.session() as s:
            row = s.get(Strategy, strategy_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"strategy {strategy_id!r} does not exist", code="strategy_not_found")
            seen = {"stage": expect_stage, "version": expect_version, "params_hash": expect_params_hash}
            now = {"stage": row.stage, "version": row.version, "params_hash": row.params_hash}
            changed = {k: {"expected": v, "now": now[k]} for k, v in seen.items() if v is not None and now[k] != v}
            if changed:
                raise ApprovalError(
                    f"strategy {strategy_id!r} changed since the approval was requested: {changed}",
                    code="stale_evidence", details={"strategy_id": strategy_id, "changed": changed},
                )
            s.add(StageTransition(strategy_id=strategy_id, from_stage=row.stage, to_stage=to_stage,
                                  version=row.version, params_hash=row.params_hash, approval_id=approval_id,
                                  actor=actor, reason=reason))
            row.stage, row.updated_at = to_stage, datetime.now(UTC)
            s.flush()
            return _strategy(row)

    def transitions(self, strategy_id: str) -> list[TransitionRecord]:
        with self._db.session() as s:
            rows = s.scalars(select(StageTransition).where(StageTransition.strategy_id == strategy_id)
                             .order_by(StageTransition.id))
            return [TransitionRecord(r.strategy_id, r.from_stage, r.to_stage, r.version, r.params_hash,
                                     r.approval_id, r.actor, r.reason, r.created_at) for r in rows]


@dataclass(frozen=True)
class DecisionRecord:
    approval_id: str
    verdict: str
    approver: str
    channel: str
    comment: str | None
    decided_at: datetime


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

    def request_fields(self) -> dict[str, Any]:
        """The fields of the original request (what ``guardrails.approvals.ApprovalRequest`` validates)."""
        return {k: getattr(self, k) for k in ("id", "kind", "subject", "evidence", "summary", "requester",
                                               "channel", "thread_id", "created_at", "expires_at")}


def _decision(row: ApprovalDecisionRow | None) -> DecisionRecord | None:
    if row is None:
        return None
    return DecisionRecord(row.approval_id, row.verdict, row.approver, row.channel, row.comment, row.decided_at)


AlsoWrite = Callable[[Connection | None], None]  # more writes for the same transaction (e.g. audit rows)


class ApprovalStore:
    """Approval requests and decisions. One decision per request, enforced by a unique constraint."""

    def __init__(self, database: Database):
        self._db = database

    def save_request(self, request: dict[str, Any], *, then: AlsoWrite | None = None) -> bool:
        """Store a new pending request; True when this call stored it. Saving the same id again changes nothing
        (node re-runs are safe). ``then(connection)`` runs in the same transaction, only when the request is new:
        what it writes (the request's audit row) is stored exactly once, together with the request."""
        values = {k: request[k] for k in ("id", "kind", "subject", "evidence", "summary", "requester", "channel",
                                          "thread_id", "created_at", "expires_at")}
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
        self, approval_id: str, verdict: str, approver: str, channel: str, comment: str | None, decided_at: datetime
    ) -> tuple[DecisionRecord, bool]:
        """Store the decision; returns (the stored decision, whether this call stored it).

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
                                          channel=channel, comment=redact(comment) if comment else comment,
                                          decided_at=decided_at)
                s.add(row)
                if req.status == "pending":
                    req.status = verdict
                s.flush()
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
                              row.outcome, row.closed_at, _decision(decision))
