"""Domain events: the seed's event names (seed 002) plus the ones approvals and execution need,
each with one typed, frozen payload.

An event says what happened, not what to do; it is stored by ``memory.events.EventStore`` and
delivered in-process by ``quant.monitoring.bus.EventBus``. Quantities and prices are ``Decimal``
(strings in JSON); risk observations and thresholds are plain floats in the rule's own unit.
"""

from __future__ import annotations

import typing
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from errors import ConfigError


class EventKind(StrEnum):
    # market data
    MARKET_DATA_RECEIVED = "MarketDataReceived"
    PRICE_UPDATE = "PriceUpdate"
    VOLUME_UPDATE = "VolumeUpdate"
    NEWS_ALERT = "NewsAlert"
    DATA_LOADED = "DataLoaded"
    # trading
    ORDER_CREATED = "OrderCreated"
    ORDER_SUBMITTED = "OrderSubmitted"
    ORDER_FILLED = "OrderFilled"
    ORDER_CANCELED = "OrderCanceled"
    ORDER_REJECTED = "OrderRejected"
    TRADE_EXECUTED = "TradeExecuted"
    POSITION_OPENED = "PositionOpened"
    POSITION_CLOSED = "PositionClosed"
    # strategy
    SIGNAL_GENERATED = "SignalGenerated"
    STRATEGY_ACTIVATED = "StrategyActivated"
    STRATEGY_DEACTIVATED = "StrategyDeactivated"
    STRATEGY_PROMOTED = "StrategyPromoted"
    REBALANCE_TRIGGERED = "RebalanceTriggered"
    # risk
    RISK_THRESHOLD_BREACHED = "RiskThresholdBreached"
    POSITION_LIMIT_EXCEEDED = "PositionLimitExceeded"
    PORTFOLIO_RISK_ALERT = "PortfolioRiskAlert"
    KILL_SWITCH_ACTIVATED = "KillSwitchActivated"
    TRADING_STATE_CHANGED = "TradingStateChanged"
    # approvals
    APPROVAL_REQUESTED = "ApprovalRequested"
    APPROVAL_DECIDED = "ApprovalDecided"
    # system
    SERVICE_HEALTH_CHECK = "ServiceHealthCheck"
    SYSTEM_ALERT = "SystemAlert"
    MAINTENANCE_MODE = "MaintenanceMode"


@dataclass(frozen=True)
class OrderPayload:
    """An order's identity and terms (OrderCreated, OrderSubmitted, OrderCanceled)."""

    order_id: str
    symbol: str
    side: str
    quantity: Decimal
    order_type: str = "market"
    limit_price: Decimal | None = None
    status: str = ""
    strategy_id: str | None = None


@dataclass(frozen=True)
class FillPayload:
    """A (partial) fill: quantity at price, fee in account currency (OrderFilled, TradeExecuted)."""

    order_id: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal = Decimal(0)
    fill_id: str | None = None


@dataclass(frozen=True)
class RejectionPayload:
    """Why an order was refused: the rule's enum code and its facts (OrderRejected)."""

    symbol: str
    code: str
    order_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PositionPayload:
    """A position after the change (PositionOpened, PositionClosed); P&L in account currency."""

    symbol: str
    quantity: Decimal
    avg_price: Decimal
    realized_pnl: Decimal | None = None


@dataclass(frozen=True)
class SignalPayload:
    """A strategy's signal: direction long|short|flat, strength in [0, 1] (SignalGenerated)."""

    strategy_id: str
    symbol: str
    direction: str
    strength: float = 1.0


@dataclass(frozen=True)
class StrategyPayload:
    """A strategy's stage change (StrategyActivated/Deactivated/Promoted, RebalanceTriggered)."""

    strategy_id: str
    to_stage: str
    from_stage: str | None = None
    approval_id: str | None = None
    actor: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class BreachPayload:
    """A risk rule tripped: observed vs threshold in the rule's unit (named by ``rule``)."""

    rule: str
    observed: float
    threshold: float
    symbol: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KillSwitchPayload:
    active: bool
    reason: str
    actor: str


@dataclass(frozen=True)
class TradingStatePayload:
    """ACTIVE / REDUCING / HALTED transitions."""

    from_state: str
    to_state: str
    reason: str
    actor: str = "system"


@dataclass(frozen=True)
class ApprovalRequestedPayload:
    approval_id: str
    kind: str
    requester: str
    channel: str
    summary: str = ""


@dataclass(frozen=True)
class ApprovalDecidedPayload:
    approval_id: str
    kind: str
    verdict: str
    approver: str
    channel: str


@dataclass(frozen=True)
class DataLoadedPayload:
    """Bars stored for one symbol: rows and the first/last bar timestamps (ISO 8601)."""

    symbol: str
    rows: int
    source: str
    first_ts: str | None = None
    last_ts: str | None = None


@dataclass(frozen=True)
class MarketDataPayload:
    symbol: str
    ts: str
    price: float | None = None
    volume: float | None = None


@dataclass(frozen=True)
class HealthPayload:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class NoticePayload:
    """Free-form operational notice (SystemAlert, NewsAlert, MaintenanceMode); severity info|warning|critical."""

    message: str
    severity: str = "info"
    details: dict[str, Any] = field(default_factory=dict)


EventPayload = (
    OrderPayload | FillPayload | RejectionPayload | PositionPayload | SignalPayload | StrategyPayload
    | BreachPayload | KillSwitchPayload | TradingStatePayload | ApprovalRequestedPayload
    | ApprovalDecidedPayload | DataLoadedPayload | MarketDataPayload | HealthPayload | NoticePayload
)

K = EventKind
PAYLOAD_TYPES: dict[EventKind, type] = {
    K.MARKET_DATA_RECEIVED: MarketDataPayload, K.PRICE_UPDATE: MarketDataPayload,
    K.VOLUME_UPDATE: MarketDataPayload, K.NEWS_ALERT: NoticePayload, K.DATA_LOADED: DataLoadedPayload,
    K.ORDER_CREATED: OrderPayload, K.ORDER_SUBMITTED: OrderPayload, K.ORDER_CANCELED: OrderPayload,
    K.ORDER_FILLED: FillPayload, K.TRADE_EXECUTED: FillPayload, K.ORDER_REJECTED: RejectionPayload,
    K.POSITION_OPENED: PositionPayload, K.POSITION_CLOSED: PositionPayload,
    K.SIGNAL_GENERATED: SignalPayload, K.STRATEGY_ACTIVATED: StrategyPayload,
    K.STRATEGY_DEACTIVATED: StrategyPayload, K.STRATEGY_PROMOTED: StrategyPayload,
    K.REBALANCE_TRIGGERED: StrategyPayload, K.RISK_THRESHOLD_BREACHED: BreachPayload,
    K.POSITION_LIMIT_EXCEEDED: BreachPayload, K.PORTFOLIO_RISK_ALERT: BreachPayload,
    K.KILL_SWITCH_ACTIVATED: KillSwitchPayload, K.TRADING_STATE_CHANGED: TradingStatePayload,
    K.APPROVAL_REQUESTED: ApprovalRequestedPayload, K.APPROVAL_DECIDED: ApprovalDecidedPayload,
    K.SERVICE_HEALTH_CHECK: HealthPayload, K.SYSTEM_ALERT: NoticePayload, K.MAINTENANCE_MODE: NoticePayload,
}
_SUBJECT_FIELDS = ("order_id", "approval_id", "strategy_id", "symbol", "rule", "name")


def payload_to_dict(payload: EventPayload) -> dict[str, Any]:
    """JSON-ready dict: Decimals as strings (exact), everything else as is."""
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(payload).items()}


def payload_from_dict(kind: EventKind | str, data: dict[str, Any]) -> EventPayload:
    """The typed payload for ``kind`` from its dict; unknown or missing fields raise ``ConfigError``."""
    cls = PAYLOAD_TYPES[EventKind(kind)]
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{kind} payload has unknown fields {unknown}",
                          details={"kind": str(kind), "fields": unknown})
    values = {k: Decimal(str(v)) if v is not None and Decimal in typing.get_args(hints[k]) + (hints[k],) else v
              for k, v in data.items()}
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"{kind} payload is incomplete: {exc}", details={"kind": str(kind)}) from exc


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened. ``subject`` defaults to the payload's order/approval/strategy id or symbol;
    ``id`` is set once stored."""

    kind: EventKind
    payload: EventPayload
    source: str = "system"
    subject: str = ""
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        try:
            kind = EventKind(self.kind)
        except ValueError as exc:
            raise ConfigError(f"unknown event kind {self.kind!r}", details={"kind": str(self.kind)}) from exc
        expected = PAYLOAD_TYPES[kind]
        if not isinstance(self.payload, expected):
            raise ConfigError(f"{kind} needs a {expected.__name__}, got {type(self.payload).__name__}",
                              details={"kind": str(kind), "payload": type(self.payload).__name__})
        if self.ts.tzinfo is None:
            raise ConfigError(f"{kind} event timestamp must be timezone-aware", details={"ts": str(self.ts)})
        object.__setattr__(self, "kind", kind)
        if not self.subject:
            found = next((getattr(self.payload, f) for f in _SUBJECT_FIELDS if getattr(self.payload, f, None)), "")
            object.__setattr__(self, "subject", str(found))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind.value, "ts": self.ts.isoformat(), "source": self.source,
                "subject": self.subject, "correlation_id": self.correlation_id,
                "payload": payload_to_dict(self.payload)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainEvent:
        ts = data["ts"]
        return cls(kind=EventKind(data["kind"]), payload=payload_from_dict(data["kind"], dict(data["payload"])),
                   source=data.get("source", "system"), subject=data.get("subject", ""),
                   ts=datetime.fromisoformat(ts) if isinstance(ts, str) else ts,
                   correlation_id=data.get("correlation_id"), id=data.get("id"))
