"""Order values: what a strategy wants (``OrderIntent``), what the broker holds (``Order``), what happened (``Fill``).

Quantities are shares (``Decimal``, fractional allowed), prices and fees are ``Decimal`` dollars. Every
constructor validates its fields and raises ``InvalidOrderError`` (a ``ConfigError``) naming the field.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from errors import ConfigError

_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.\-/]{0,14}$")
ZERO = Decimal(0)


class InvalidOrderError(ConfigError):
    """An order field is missing or invalid; ``details['field']`` names it."""

    code = "invalid_order"


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


class OrderStatus(StrEnum):
    NEW = "new"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED})


def _reject(field_name: str, value: object, why: str) -> InvalidOrderError:
    return InvalidOrderError(
        f"invalid order field {field_name!r}: {why} (got {value!r})",
        details={"field": field_name, "value": repr(value), "rule": why},
    )


def to_decimal(value: object, field_name: str, *, positive: bool = True) -> Decimal:
    """``value`` as a finite ``Decimal`` (> 0 when ``positive``); floats go through ``str`` to stay exact."""
    if isinstance(value, bool) or value is None:
        raise _reject(field_name, value, "must be a number")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise _reject(field_name, value, "must be a number") from None
    if not number.is_finite():
        raise _reject(field_name, value, "must be finite")
    if positive and number <= ZERO:
        raise _reject(field_name, value, "must be > 0")
    if not positive and number < ZERO:
        raise _reject(field_name, value, "must be >= 0")
    return number


def _enum(kind: type[StrEnum], value: object, field_name: str) -> StrEnum:
    try:
        return kind(str(value).lower())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise _reject(field_name, value, f"must be one of {allowed}") from None


def client_order_id(
    strategy_id: str,
    symbol: str,
    side: str,
    qty: Decimal,
    order_type: str,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    time_in_force: str,
    decision_key: str,
) -> str:
    """Deterministic idempotency key: ``qp-`` + 32 hex chars of SHA-256 over the intent and its decision key.

    The same decision (same strategy, fields and ``decision_key`` such as the decision timestamp or a
    nonce) always yields the same id, so a retry can never become a second order at the broker.
    """
    parts = [strategy_id, symbol, side, format(qty.normalize(), "f"), order_type,
             "" if limit_price is None else format(limit_price.normalize(), "f"),
             "" if stop_price is None else format(stop_price.normalize(), "f"), time_in_force, decision_key]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"qp-{digest[:32]}"


@dataclass(frozen=True)
class OrderIntent:
    """A validated wish to trade ``qty`` shares of ``symbol``; ``client_order_id`` is derived when omitted.

    ``decision_key`` identifies the decision (e.g. the decision timestamp in ISO form or a nonce); two
    intents with equal fields and decision key are the same order.
    """

    symbol: str
    side: Side
    qty: Decimal
    strategy_id: str
    decision_key: str
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    client_order_id: str = ""

    def __post_init__(self) -> None:
        put = object.__setattr__
        if not isinstance(self.symbol, str) or not _SYMBOL.match(self.symbol.strip().upper()):
            raise _reject("symbol", self.symbol, "must be a ticker of 1-15 letters/digits")
        put(self, "symbol", self.symbol.strip().upper())
        put(self, "side", _enum(Side, self.side, "side"))
        put(self, "order_type", _enum(OrderType, self.order_type, "order_type"))
        put(self, "time_in_force", _enum(TimeInForce, self.time_in_force, "time_in_force"))
        put(self, "qty", to_decimal(self.qty, "qty"))
        for name in ("limit_price", "stop_price"):
            value = getattr(self, name)
            if value is not None:
                put(self, name, to_decimal(value, name))
        needs_limit = self.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = self.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
        if needs_limit != (self.limit_price is not None):
            why = "required for this order type" if needs_limit else "not allowed for this order type"
            raise _reject("limit_price", self.limit_price, f"{why} ({self.order_type.value})")
        if needs_stop != (self.stop_price is not None):
            why = "required for this order type" if needs_stop else "not allowed for this order type"
            raise _reject("stop_price", self.stop_price, f"{why} ({self.order_type.value})")
        if not isinstance(self.strategy_id, str) or not self.strategy_id:
            raise _reject("strategy_id", self.strategy_id, "must be a non-empty string")
        if not isinstance(self.decision_key, str) or not self.decision_key:
            raise _reject("decision_key", self.decision_key, "must be a non-empty string")
        expected = client_order_id(self.strategy_id, self.symbol, self.side.value, self.qty,
                                   self.order_type.value, self.limit_price, self.stop_price,
                                   self.time_in_force.value, self.decision_key)
        if not self.client_order_id:
            put(self, "client_order_id", expected)
        elif not isinstance(self.client_order_id, str) or len(self.client_order_id) > 128:
            raise _reject("client_order_id", self.client_order_id, "must be a string of at most 128 chars")

    @property
    def signed_qty(self) -> Decimal:
        """Shares, positive for a buy and negative for a sell."""
        return self.qty if self.side is Side.BUY else -self.qty


@dataclass(frozen=True)
class Order:
    """The state of one order as the OMS or a broker knows it; ``avg_fill_price`` in dollars per share."""

    intent: OrderIntent
    status: OrderStatus = OrderStatus.NEW
    filled_qty: Decimal = ZERO
    avg_fill_price: Decimal | None = None
    broker_order_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    reason: str = ""

    @property
    def client_order_id(self) -> str:
        return self.intent.client_order_id

    @property
    def remaining_qty(self) -> Decimal:
        return self.intent.qty - self.filled_qty

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal


@dataclass(frozen=True)
class Fill:
    """One execution: ``qty`` shares at ``price`` dollars, ``fee_usd`` dollars charged, at ``ts`` (UTC)."""

    client_order_id: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    fee_usd: Decimal
    ts: datetime
    fill_id: str = field(default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "qty", to_decimal(self.qty, "qty"))
        object.__setattr__(self, "price", to_decimal(self.price, "price"))
        object.__setattr__(self, "fee_usd", to_decimal(self.fee_usd, "fee_usd", positive=False))
        object.__setattr__(self, "side", _enum(Side, self.side, "side"))

    @property
    def signed_qty(self) -> Decimal:
        return self.qty if self.side is Side.BUY else -self.qty

    @property
    def cash_delta_usd(self) -> Decimal:
        """Change of cash caused by this fill: -(signed qty x price) - fee."""
        return -(self.signed_qty * self.price) - self.fee_usd
