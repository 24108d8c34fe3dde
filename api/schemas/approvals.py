"""Human approvals as ``services.approvals.approval_json`` shapes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.agent import TurnPublic

_EXAMPLE = {
    "id": "apr_1a2b3c4d5e6f", "kind": "paper", "status": "pending",
    "subject": {"strategy_id": "sma_crossover_aapl", "from_stage": "backtested", "to_stage": "paper", "version": 1},
    "evidence": {"oos_sharpe": 1.1, "trades": 42, "max_drawdown_pct": 12.5}, "summary": "promote to paper",
    "requester": "alice", "channel": "api", "thread_id": "thr_4f1c2a9b0d3e5f67",
    "created_at": "2025-03-03T15:00:00Z", "expires_at": "2025-03-06T15:00:00Z", "outcome": None, "closed_at": None,
    "decision": None,
}


class DecisionPublic(BaseModel):
    verdict: str = Field(description="approved | rejected")
    approver: str
    channel: str = Field(description="cli | web | slack | api")
    comment: str | None
    decided_at: datetime


class ApprovalPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: str
    kind: str = Field(description="strategy | paper | live | live_order | risk_limit")
    status: str = Field(description="pending | approved | rejected | applied | expired | invalid")
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
    decision: DecisionPublic | None


class ApprovalListPublic(BaseModel):
    count: int
    approvals: list[ApprovalPublic]


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"comment": "reviewed the folds"}]})

    comment: str | None = Field(default=None, max_length=2000, description="required to reject")


class ApprovalOutcomePublic(BaseModel):
    """The request after the decision and, when a thread waited for it, the resumed turn."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"approval": {**_EXAMPLE, "status": "applied"}, "turn": None, "repeated": False}]})

    approval: ApprovalPublic
    turn: TurnPublic | None
    repeated: bool = Field(description="the same decision had been recorded before; nothing new was stored")
