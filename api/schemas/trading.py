"""Trading: positions, orders, risk state and limits, proposals, kill switch, reconciliation, audit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quant.data.symbols import Symbol


class PositionPublic(BaseModel):
    symbol: str
    qty: str = Field(description="shares, decimal string")
    avg_entry_price: str = Field(description="dollars per share, decimal string")
    mark_usd: str | None = Field(default=None, description="last close at or before the account's clock; null: none")
    price_ts: str | None = Field(default=None, description="when that close was stamped")
    value_usd: str | None = Field(default=None, description="market value, dollars")
    unrealized_pnl_usd: str | None = Field(default=None, description="value minus cost, dollars")


class PositionsPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "account_id": "paper", "clock": "simulated market at 2021-12-30", "as_of": "2021-12-30T00:00:00+00:00",
        "cash_usd": "98230.00", "equity_usd": "100150.00", "market_value_usd": "1920.00",
        "unrealized_pnl_usd": "68.00", "realized_pnl_usd": "0",
        "positions": [{"symbol": "AAPL", "qty": "10", "avg_entry_price": "185.20", "mark_usd": "192.00",
                       "price_ts": "2021-12-30T00:00:00+00:00", "value_usd": "1920.00",
                       "unrealized_pnl_usd": "68.00"}]}]})

    account_id: str | None = None
    clock: str | None = Field(default=None, description="the clock the book runs on: simulated market or real time")
    as_of: str | None = None
    cash_usd: str
    equity_usd: str
    market_value_usd: str | None = None
    unrealized_pnl_usd: str | None = None
    realized_pnl_usd: str | None = None
    positions: list[PositionPublic]


class OrderRequest(BaseModel):
    """An order for the execution path: risk policy, stored approval, kill switch, then the paper broker."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"symbol": "AAPL", "side": "buy", "qty": "10", "strategy_id": "sma_aapl", "order_type": "market",
         "decision_key": "2025-03-03-rebalance"}]})

    symbol: Symbol
    side: Literal["buy", "sell"]
    qty: Decimal = Field(gt=0, max_digits=18, decimal_places=8, description="shares")
    strategy_id: str = Field(default="manual", pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    order_type: Literal["market", "limit", "stop", "stop_limit"] = "market"
    limit_price: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=6)
    stop_price: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=6)
    decision_key: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$",
                              description="the caller's idempotency key: the same key never places twice")


class OrderPublic(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "client_order_id": "qp-3fa9c1d2e4b5", "symbol": "AAPL", "side": "buy", "qty": "10", "status": "filled",
        "filled_qty": "10", "avg_fill_price": "185.20", "strategy_id": "sma_aapl", "requested_by": "alice"}]})

    client_order_id: str
    symbol: str
    side: str
    qty: Any
    status: str


class OrderListPublic(BaseModel):
    count: int
    orders: list[OrderPublic]


class RiskStatusPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "trading_state": "active", "halt_id": None, "equity_usd": "100000", "cash_usd": "100000", "positions": {},
        "drawdown_pct": 0.0, "max_drawdown_pct": 20.0, "daily_loss_pct": 0.0, "daily_loss_limit_pct": 3.0,
        "last_transitions": []}]})

    account_id: str | None = None
    clock: dict[str, Any] | None = Field(default=None, description="mode (simulated | real) and now of the account")
    trading_state: str = Field(description="active | reducing | halted")
    reason: str = Field(default="", description="why it is not active")
    release: str = Field(default="", description="the command that lifts the halt")
    halt_id: str | None
    equity_usd: str
    cash_usd: str
    positions: dict[str, str]
    drawdown_pct: float
    max_drawdown_pct: float
    daily_loss_pct: float
    daily_loss_limit_pct: float
    last_transitions: list[dict[str, Any]]


class LimitsPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "limits": {"max_drawdown_pct": 20.0, "daily_loss_limit_pct": 3.0}, "pending": []}]})

    limits: dict[str, Any]
    pending: list[dict[str, Any]]


class ProposalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"changes": {"daily_loss_limit_pct": 2.0}, "reason": "tighter after the March drawdown"}]})

    changes: dict[str, Any] = Field(min_length=1, description="limit name -> new value")
    reason: str = Field(default="", max_length=500)


class ProposalPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "proposal_id": "lim_8c1d…", "approval_id": "apr_1a2b3c4d5e6f",
        "changes": {"daily_loss_limit_pct": {"from": 3.0, "to": 2.0}}, "status": "pending"}]})

    proposal_id: str
    approval_id: str
    changes: dict[str, Any]
    status: str


class KillSwitchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "broker outage", "flatten": False}]})

    reason: str = Field(default="kill switch via API", min_length=1, max_length=500)
    flatten: bool = Field(default=False, description="also close every position")


class KillSwitchPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "trading_state": "halted", "halt_id": "halt_1f2e…", "canceled": [], "flatten_orders": 0,
        "approval_id": None}]})

    account_id: str | None = None
    trading_state: str
    reason: str = ""
    release: str = Field(default="", description="the command that lifts the halt")
    halt_id: str | None = None
    canceled: list[str] = []
    closes: list[dict[str, Any]] = Field(default_factory=list, description="each close order of a flatten and its "
                                         "final state (filled, accepted, or refused with the reason)")
    refused_closes: int = Field(default=0, description="closes that did not happen: those positions are still open")
    flatten_complete: bool = True
    approval_id: str | None = Field(default=None, description="the release request a person must approve")


class BreakerResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "strategy reviewed after the 2022 drawdown"}]})

    reason: str = Field(min_length=1, max_length=500)


class ClockAdvanceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"days": 1}]})

    days: int = Field(default=1, ge=1, le=2520, description="sessions (stored bars) to step forward")


class ClockAdvancePublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "account_id": "paper", "from": "2021-12-28T00:00:00+00:00", "to": "2021-12-29T00:00:00+00:00", "sessions": 1,
        "fills": [], "equity_before_usd": "99999.56", "equity_after_usd": "100000.00", "trading_state": "active",
        "reason": "", "release": ""}]}, populate_by_name=True)

    account_id: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    sessions: int
    fills: list[dict[str, Any]]
    equity_before_usd: str
    equity_after_usd: str
    trading_state: str
    reason: str = ""
    release: str = Field(default="", description="the command that lifts a halt a breaker tripped on the way")


class ClockPublic(BaseModel):
    model_config = ConfigDict(extra="allow")

    account_id: str
    mode: str = Field(description="simulated | real")
    now: str


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "outage over"}]})

    reason: str = Field(min_length=1, max_length=500)


class ResumeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"approval_id": "apr_1a2b3c4d5e6f"}]})

    approval_id: str = Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")


class ReconciliationPublic(BaseModel):
    matched: bool
    expected: dict[str, str]
    actual: dict[str, str]
    discrepancies: list[dict[str, Any]]


class AuditVerificationPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "ok": True, "rows_checked": 1234, "first_bad_seq": None, "problem": None, "detail": "", "head_seq": 1234,
        "head_hash": "9c1f…", "message": "audit chain intact: 1234 rows, head seq 1234"}]})

    ok: bool
    rows_checked: int
    first_bad_seq: int | None
    problem: str | None = Field(description="modified | deleted | inserted … when broken")
    detail: str
    head_seq: int | None
    head_hash: str | None
    message: str


class DailySummaryPublic(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "as_of": "2025-03-03", "pnl": {"realized": "0", "unrealized": "12.5", "total": "12.5"}, "positions": [],
        "gross_market_value": "0", "trading_state": "ACTIVE", "risk": {}, "pending_approvals": [],
        "alerts": {"by_severity": {}, "titles": []}, "text": "Daily summary for 2025-03-03 …"}]})

    text: str = Field(description="the summary as plain text")


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(extra="allow")

    seq: int
    ts: datetime
    actor: str
    channel: str
    action: str
    subject: str
