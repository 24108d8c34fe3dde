"""Typed approval requests and decisions, and the pure checks run on resume.

A tool asks for an approval by returning ``{"status": "approval_required", "kind", "subject",
"evidence", ...}`` (see ``tools.results.ApprovalRequired``); the graph turns it into an
``ApprovalRequest``, stores it, and calls ``interrupt()``. On resume the decision is checked
again here (expiry, evidence still current, live rules) before any side effect runs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from guardrails.policy import Operation

ApprovalKind = Literal["strategy", "paper", "live", "risk_limit", "live_order", "paper_order", "breaker_reset"]
KIND_ALIASES = {"order": "live_order", "backtested": "strategy", "limit": "risk_limit"}
STRATEGY_KINDS = ("strategy", "paper", "live")
ORDER_KINDS = ("paper_order", "live_order")  # one order intent each; subject.order_intent_hash = client order id
ORDER_FIELDS = ("symbol", "side", "qty", "strategy_id", "decision_key", "order_type", "limit_price", "stop_price",
                "time_in_force")


class ApprovalSubject(BaseModel):
    """What exactly is approved: a strategy version + parameter hash, an order intent, or a limit change."""

    model_config = ConfigDict(extra="allow", frozen=True)

    strategy_id: str | None = None
    version: int | None = None
    params_hash: str | None = None
    from_stage: str | None = None
    to_stage: str | None = None
    order_intent_hash: str | None = None
    limit_change_id: str | None = None
    account_id: str | None = None  # the paper account of an order or a breaker reset


class ApprovalRequest(BaseModel):
    """One request for a human decision; stored in Postgres and surfaced by ``interrupt()``."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: f"apr_{uuid.uuid4().hex[:12]}")
    kind: ApprovalKind
    subject: ApprovalSubject
    evidence: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""
    requester: str
    requester_id: int | None = None  # the stored user who asked (None only for quantpilot's own requests)
    channel: str
    thread_id: str | None = None
    created_at: datetime
    expires_at: datetime

    @model_validator(mode="after")
    def _subject_fits_kind(self) -> ApprovalRequest:
        s = self.subject
        if self.kind in STRATEGY_KINDS and not (s.strategy_id and s.version is not None and s.params_hash):
            raise ValueError(f"a {self.kind} approval needs subject.strategy_id, version and params_hash")
        if self.kind in ORDER_KINDS and not s.order_intent_hash:
            raise ValueError(f"a {self.kind} approval needs subject.order_intent_hash")
        if self.kind == "risk_limit" and not s.limit_change_id:
            raise ValueError("a risk_limit approval needs subject.limit_change_id")
        if self.kind == "breaker_reset" and not (s.account_id and (s.model_extra or {}).get("halt_id")):
            raise ValueError("a breaker_reset approval needs subject.account_id and halt_id")
        if self.expires_at <= self.created_at:
            raise ValueError("expires_at must be after created_at")
        return self


class Verdict(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ApprovalDecision(BaseModel):
    """A human's answer: who, when, through which channel, and why."""

    model_config = ConfigDict(frozen=True)

    approval_id: str
    verdict: Verdict
    approver: str
    approver_id: int | None = None
    channel: str
    comment: str | None = None
    decided_at: datetime


class RevalidationCode(StrEnum):
    EXPIRED = "expired"
    STALE_EVIDENCE = "stale_evidence"
    UNKNOWN_SUBJECT = "unknown_subject"
    SELF_APPROVAL = "self_approval"
    LIVE_TRADING_DISABLED = "live_trading_disabled"
    WRONG_REQUEST = "wrong_request"
    LADDER = "ladder"
    INTENT_MISMATCH = "intent_mismatch"


@dataclass(frozen=True)
class Revalidation:
    """Why an approval no longer holds: a code and the facts."""

    code: RevalidationCode
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        facts = ", ".join(f"{k}={v}" for k, v in self.details.items())
        return f"{self.code.value}: {facts}" if facts else self.code.value


def normalise_kind(kind: str) -> str:
    return KIND_ALIASES.get(kind, kind)


def same_person(request: ApprovalRequest, approver_id: int | None, approver: str) -> bool:
    """Whether the decider is the requester: by user id when both are known, else by name."""
    if request.requester_id is not None and approver_id is not None:
        return request.requester_id == approver_id
    return approver == request.requester


def check_approver(
    request: ApprovalRequest, approver: str, *, approver_id: int | None = None, live_trading_enabled: bool,
    allow_self_approval: bool = False,
) -> Revalidation | None:
    """Who may decide: never the requester (segregation of duties, for every kind, unless the install allows
    self-approval explicitly), and a live kind only with live trading on. The decider's role is the policy
    table's business (``guardrails.policy``: deciding needs the approver role)."""
    if request.kind in ("live", "live_order") and not live_trading_enabled:
        return Revalidation(RevalidationCode.LIVE_TRADING_DISABLED, {"kind": request.kind, "setting": "live_trading"})
    if not allow_self_approval and same_person(request, approver_id, approver):
        return Revalidation(RevalidationCode.SELF_APPROVAL, {"approver": approver, "requester": request.requester})
    return None


def order_intent_of(subject: ApprovalSubject) -> Any:
    """The ``OrderIntent`` an order approval's subject describes (``ValueError``/``RiskRejected`` if it cannot)."""
    from quant.execution.orders import OrderIntent

    fields = {k: (subject.model_extra or {}).get(k, getattr(subject, k, None)) for k in ORDER_FIELDS}
    missing = [k for k in ("symbol", "side", "qty", "strategy_id", "decision_key") if fields.get(k) in (None, "")]
    if missing:
        raise ValueError(f"order approval subject lacks {missing}")
    return OrderIntent(**{k: v for k, v in fields.items() if v is not None})


def check_order_subject(request: ApprovalRequest) -> Revalidation | None:
    """An order approval holds only if its subject's fields still derive its ``order_intent_hash``.

    Subjects without the intent's fields (only the hash) pass: the execution path then matches the
    hash itself against the order it is asked to send.
    """
    s = request.subject
    if request.kind not in ORDER_KINDS or not (s.model_extra or {}).get("decision_key"):
        return None
    try:
        derived = order_intent_of(s).client_order_id
    except Exception as exc:  # noqa: BLE001 - any field the intent refuses makes the subject invalid
        return Revalidation(RevalidationCode.INTENT_MISMATCH, {"error": str(exc)[:200]})
    if derived != s.order_intent_hash:
        return Revalidation(RevalidationCode.INTENT_MISMATCH, {"order_intent_hash": s.order_intent_hash,
                                                               "derived": derived})
    return None


def check_current(request: ApprovalRequest, current: dict[str, Any] | None) -> Revalidation | None:
    """Whether the subject is unchanged: same version and parameter hash (and stage) as when requested.

    ``current`` is the subject as stored now (``version``, ``params_hash``, ``stage``), None if it
    no longer exists. Only strategy kinds carry a version; order kinds must still describe their
    intent (``check_order_subject``); other kinds pass.
    """
    if request.kind in ORDER_KINDS:
        return check_order_subject(request)
    if request.kind not in STRATEGY_KINDS:
        return None
    if current is None:
        return Revalidation(RevalidationCode.UNKNOWN_SUBJECT, {"strategy_id": request.subject.strategy_id})
    s = request.subject
    changed = {
        key: {"requested": want, "now": current.get(key)}
        for key, want in (("version", s.version), ("params_hash", s.params_hash), ("stage", s.from_stage))
        if want is not None and current.get(key) != want
    }
    if changed:
        return Revalidation(RevalidationCode.STALE_EVIDENCE, {"strategy_id": s.strategy_id, "changed": changed})
    return None


def revalidate(
    request: ApprovalRequest,
    decision: ApprovalDecision,
    *,
    now: datetime,
    current: dict[str, Any] | None,
    live_trading_enabled: bool,
    allow_self_approval: bool = False,
) -> Revalidation | None:
    """Every check an approval must pass at the moment it takes effect; None when it holds."""
    if decision.approval_id != request.id:
        return Revalidation(RevalidationCode.WRONG_REQUEST, {"expected": request.id, "got": decision.approval_id})
    if decision.verdict == Verdict.REJECTED:
        return None
    if now >= request.expires_at:
        return Revalidation(
            RevalidationCode.EXPIRED, {"expires_at": request.expires_at.isoformat(), "now": now.isoformat()}
        )
    return check_current(request, current) or check_approver(
        request, decision.approver, approver_id=decision.approver_id, live_trading_enabled=live_trading_enabled,
        allow_self_approval=allow_self_approval,
    )



def request_operation(request: ApprovalRequest) -> Operation:
    """The policy operation that asking for ``request`` is: a promotion, an order, a limit change or a resume."""
    if request.kind in STRATEGY_KINDS:
        return Operation.REQUEST_PROMOTION
    if request.kind in ORDER_KINDS:
        return Operation.PLACE_ORDER
    if request.kind == "breaker_reset":
        return Operation.REQUEST_BREAKER_RESET
    if (request.subject.model_extra or {}).get("action") == "resume_trading":
        return Operation.REQUEST_RESUME
    return Operation.PROPOSE_LIMIT_CHANGE
