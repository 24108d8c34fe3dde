"""Durable trading state and risk limits.

``TradingStateStore``: the current ``TradingState`` of one scope (``global``: the kill switch; ``account:<id>``:
that paper account's breakers) in one row plus every transition in order, so a halt survives a restart; also
the equity marks (peak and session-start equity, dollars) an account's breakers need.

``RiskLimitStore``: the limits in force plus pending change proposals. A proposal is stored with an
approval request (kind ``risk_limit``, subject ``limit_change_id``) and applied only through
``guardrails.limits.apply`` with that request approved by someone other than the requester.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from errors import ApprovalError, NotFoundError
from guardrails.limits import LimitChangeProposal, ProposalStatus, apply
from guardrails.redaction import redact
from guardrails.risk_policy import RiskLimits
from guardrails.trading_state import GLOBAL_SCOPE, TradingState, TradingStateEvent
from memory.db import Database
from memory.models.execution import RiskLimitProposalRow, RiskLimitsRow, TradingStateEventRow, TradingStateRow
from quant.execution.gate import Approval, ApprovalScope, ApprovalStatus
from quant.risk.decision import TradingStatus

if TYPE_CHECKING:
    from memory.approvals import ApprovalRecord, ApprovalStore

APPROVAL_TTL = timedelta(hours=72)


def new_approval_id() -> str:
    return f"apr_{uuid.uuid4().hex[:12]}"


def approval_value(record: ApprovalRecord, scope: ApprovalScope, subject: str, **extra: Any) -> Approval:
    """The gate's view of a stored approval: APPROVED only with an approving decision on record."""
    granted = record.decision is not None and record.decision.verdict == "approved" and record.status in (
        "approved", "applied")
    status = ApprovalStatus.APPROVED if granted else (
        ApprovalStatus.REJECTED if record.status == "rejected" else
        ApprovalStatus.EXPIRED if record.status in ("expired", "invalid") else ApprovalStatus.PENDING)
    return Approval(approval_id=record.id, scope=scope, subject=subject, status=status,
                    approver=record.decision.approver if record.decision else "",
                    decided_at=record.decision.decided_at if record.decision else None, **extra)


@dataclass(frozen=True)
class StateTransition:
    seq: int
    from_status: str
    to_status: str
    reason: str
    ts: datetime
    approval_id: str | None
    actor: str
    channel: str


class TradingStateStore:
    """Implements ``tools.context.TradingStateStore`` (``current``/``save``) on Postgres for one ``scope``."""

    def __init__(self, database: Database, *, scope: str = GLOBAL_SCOPE, actor: str = "system",
                 channel: str = "system") -> None:
        self._db = database
        self.scope = scope
        self.actor = actor
        self.channel = channel

    def current(self) -> TradingState:
        with self._db.session() as s:
            row = s.get(TradingStateRow, self.scope)
            events = tuple(TradingStateEvent(TradingStatus(e.from_status), TradingStatus(e.to_status), e.reason, e.ts,
                                             e.approval_id)
                           for e in s.scalars(select(TradingStateEventRow).where(
                               TradingStateEventRow.scope == self.scope).order_by(TradingStateEventRow.seq)))
            if row is None:
                return TradingState(events=events, scope=self.scope)
            return TradingState(status=TradingStatus(row.status), reducing_session=row.reducing_session,
                                halt_id=row.halt_id, flatten_client_order_ids=frozenset(row.flatten_client_order_ids),
                                events=events, scope=self.scope)

    def active(self) -> bool:
        """Whether the scope is ACTIVE (one light read: the common case needs no history)."""
        with self._db.session() as s:  # inside a unit of work: its session (and identity map)
            row = s.get(TradingStateRow, self.scope)
            return row is None or row.status == TradingStatus.ACTIVE.value

    def save(self, state: TradingState, *, actor: str | None = None,
             channel: str | None = None) -> list[StateTransition]:
        """Store ``state`` and its transitions not stored yet (one transaction); returns the new transitions."""
        actor, channel = actor or self.actor, channel or self.channel
        if state.scope != self.scope:
            raise ValueError(f"a {state.scope} state cannot be stored as {self.scope}")
        with self._db.session() as s:
            row = self._row(s)
            stored = s.scalar(select(func.count()).select_from(TradingStateEventRow).where(
                TradingStateEventRow.scope == self.scope)) or 0
            added = []
            for seq, e in enumerate(state.events[stored:], start=stored + 1):
                reason = redact(e.reason)  # typed by a person (kill switch, resume) or written by a model
                s.add(TradingStateEventRow(scope=self.scope, seq=seq, from_status=e.from_status.value,
                                           to_status=e.to_status.value, reason=reason, ts=e.ts,
                                           approval_id=e.approval_id, actor=actor, channel=channel))
                added.append(StateTransition(seq, e.from_status.value, e.to_status.value, reason, e.ts,
                                             e.approval_id, actor, channel))
            row.status, row.halt_id = state.status.value, state.halt_id
            row.flatten_client_order_ids = sorted(state.flatten_client_order_ids)
            row.reducing_session = state.reducing_session
            if added and state.status is TradingStatus.HALTED:
                row.engaged_by = actor
            row.updated_at = datetime.now(UTC)
            return added

    def transitions(self, limit: int = 50) -> list[StateTransition]:
        """The newest ``limit`` transitions, newest first."""
        with self._db.session() as s:
            rows = s.scalars(select(TradingStateEventRow).where(TradingStateEventRow.scope == self.scope)
                             .order_by(TradingStateEventRow.seq.desc()).limit(limit))
            return [StateTransition(r.seq, r.from_status, r.to_status, r.reason, r.ts, r.approval_id, r.actor,
                                    r.channel) for r in rows]

    def mark_equity(self, equity_usd: Decimal, session: date) -> tuple[Decimal, Decimal]:
        """Record ``equity_usd`` now; returns (peak equity, equity at the start of ``session``) in dollars."""
        with self._db.session() as s:
            row = self._row(s)
            row.peak_equity_usd = max(equity_usd, row.peak_equity_usd or equity_usd)
            if row.session != session or row.day_start_equity_usd is None:
                row.session, row.day_start_equity_usd = session, equity_usd
            return row.peak_equity_usd, row.day_start_equity_usd

    def reset_baseline(self, equity_usd: Decimal, session: date) -> None:
        """Make ``equity_usd`` the high-water mark and the session's start equity (dollars): drawdown and the
        day's loss count from here."""
        with self._db.session() as s:
            row = self._row(s)
            row.peak_equity_usd, row.day_start_equity_usd, row.session = equity_usd, equity_usd, session

    def _row(self, s: Any) -> TradingStateRow:
        row = s.get(TradingStateRow, self.scope, with_for_update=True)
        if row is None:
            row = TradingStateRow(scope=self.scope, status=TradingStatus.ACTIVE.value, flatten_client_order_ids=[])
            s.add(row)
            s.flush()
        return row


class RiskLimitStore:
    """The risk limits in force and their change proposals (approved through ``ApprovalStore``)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @cached_property
    def approvals(self) -> ApprovalStore:
        """The approval requests (loaded on first use: reading the limits in force needs none of them)."""
        from memory.approvals import ApprovalStore

        return ApprovalStore(self._db)

    def current(self) -> RiskLimits:
        with self._db.session() as s:
            row = s.get(RiskLimitsRow, 1)
            return RiskLimits() if row is None else RiskLimits.model_validate(row.limits)

    def store_proposal(self, proposal: LimitChangeProposal, approval_id: str, *, reason: str, now: datetime
                       ) -> dict[str, Any]:
        """Store a validated proposal (``guardrails.limits.propose_change``) waiting for ``approval_id``; returns
        its changes as ``{limit: {"from", "to"}}``."""
        diff = {k: {"from": _json(a), "to": _json(b)} for k, (a, b) in proposal.changes.items()}
        with self._db.session() as s:
            s.add(RiskLimitProposalRow(proposal_id=proposal.proposal_id,
                                       current=proposal.current.model_dump(mode="json"),
                                       proposed=proposal.proposed.model_dump(mode="json"), changes=diff,
                                       requested_by=proposal.requested_by, reason=redact(reason), status="pending",
                                       approval_id=approval_id, created_at=now))
        return diff

    def pending(self) -> list[dict[str, Any]]:
        with self._db.session() as s:
            rows = s.scalars(select(RiskLimitProposalRow).where(RiskLimitProposalRow.status == "pending")
                             .order_by(RiskLimitProposalRow.created_at))
            return [{"proposal_id": r.proposal_id, "approval_id": r.approval_id, "changes": r.changes,
                     "requested_by": r.requested_by, "reason": r.reason, "created_at": r.created_at} for r in rows]

    def apply(self, proposal_id: str, *, allow_self_approval: bool = False) -> RiskLimits:
        """Put the proposal in force if its approval is granted (``ApprovalError`` otherwise)."""
        with self._db.session() as s:
            row = s.get(RiskLimitProposalRow, proposal_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"no risk limit proposal {proposal_id!r}")
            if row.current != self.current().model_dump(mode="json") and row.status == "pending":
                raise ApprovalError(f"limits changed since proposal {proposal_id} was made; propose again",
                                    code="stale_evidence", details={"proposal_id": proposal_id})
            proposal = LimitChangeProposal(
                proposal_id=row.proposal_id, current=RiskLimits.model_validate(row.current),
                proposed=RiskLimits.model_validate(row.proposed), changes={}, requested_by=row.requested_by,
                status=ProposalStatus(row.status if row.status == "applied" else "pending"))
            record = self.approvals.get(row.approval_id)
            approval = approval_value(record, ApprovalScope.RISK_LIMIT, record.subject.get("limit_change_id", ""))
            limits, _ = apply(proposal, approval, allow_self_approval=allow_self_approval)
            row.status, row.applied_at = "applied", datetime.now(UTC)
            current = s.get(RiskLimitsRow, 1, with_for_update=True)
            if current is None:
                s.add(RiskLimitsRow(id=1, limits=limits.model_dump(mode="json"), approval_id=row.approval_id))
            else:
                current.limits, current.approval_id = limits.model_dump(mode="json"), row.approval_id
                current.updated_at = datetime.now(UTC)
            return limits


    def replace(self, expected: RiskLimits, limits: RiskLimits, approval_id: str) -> None:
        """Put ``limits`` in force under ``approval_id`` if the limits in force are still ``expected`` (what the
        approved request was made against); ``ApprovalError`` ``stale_evidence`` otherwise, nothing written."""
        with self._db.session() as s:
            current = s.get(RiskLimitsRow, 1, with_for_update=True)
            in_force = RiskLimits() if current is None else RiskLimits.model_validate(current.limits)
            if in_force != expected:
                raise ApprovalError(f"the risk limits changed since approval {approval_id} was asked for; ask again",
                                    code="stale_evidence", details={"approval_id": approval_id})
            if current is None:
                s.add(RiskLimitsRow(id=1, limits=limits.model_dump(mode="json"), approval_id=approval_id))
            else:
                current.limits, current.approval_id = limits.model_dump(mode="json"), approval_id
                current.updated_at = datetime.now(UTC)


def _json(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, Decimal):
        return str(value)
    return value
