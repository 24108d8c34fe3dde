"""Risk decisions as values: ``Approved`` or ``Rejected(codes, details, reason)``, and the trading status.

A rejection is never an exception: callers branch on the type, show ``reason`` and log ``details``
(per code: observed value, threshold and unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class TradingStatus(StrEnum):
    """ACTIVE = all orders; REDUCING = only orders that shrink exposure; HALTED = none (bar kill-switch flattens)."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class RejectCode(StrEnum):
    RISK_PER_TRADE_EXCEEDED = "RISK_PER_TRADE_EXCEEDED"
    CAPITAL_DEPLOYED_EXCEEDED = "CAPITAL_DEPLOYED_EXCEEDED"
    MAX_POSITIONS_REACHED = "MAX_POSITIONS_REACHED"
    DAILY_LOSS_LIMIT = "DAILY_LOSS_LIMIT"
    MAX_DRAWDOWN = "MAX_DRAWDOWN"
    CONCENTRATION_EXCEEDED = "CONCENTRATION_EXCEEDED"
    NOTIONAL_CAP_EXCEEDED = "NOTIONAL_CAP_EXCEEDED"
    FAT_FINGER = "FAT_FINGER"
    SYMBOL_NOT_ALLOWED = "SYMBOL_NOT_ALLOWED"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    STALE_PRICE = "STALE_PRICE"
    LIQUIDITY_EXCEEDED = "LIQUIDITY_EXCEEDED"
    TRADING_HALTED = "TRADING_HALTED"
    REDUCING_ONLY = "REDUCING_ONLY"
    INVALID_ORDER = "INVALID_ORDER"
    MISSING_STOP_DISTANCE = "MISSING_STOP_DISTANCE"


@dataclass(frozen=True)
class Approved:
    """The risk policy passed ``client_order_id`` while trading was ``trading_status``."""

    client_order_id: str
    trading_status: TradingStatus
    reduces_exposure: bool = False

    @property
    def ok(self) -> bool:
        return True


@dataclass(frozen=True)
class Rejected:
    """The risk policy refused the order. ``details[code]`` = {observed, threshold, unit, ...}."""

    client_order_id: str
    codes: tuple[RejectCode, ...]
    details: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    reason: str = ""

    def __post_init__(self) -> None:
        if not self.codes:
            raise ValueError("a rejection needs at least one code")
        if not isinstance(self.details, MappingProxyType):
            object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    @property
    def ok(self) -> bool:
        return False


RiskDecision = Approved | Rejected
