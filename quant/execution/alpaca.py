"""``AlpacaBroker``: the ``BrokerClient`` over alpaca-py's ``TradingClient`` (paper by default).

Every order carries our ``client_order_id``, so Alpaca itself refuses a second order with the same id
and ``get_order_by_client_id`` finds an order whose response was lost. Errors are sorted once:
429, 5xx, timeouts and connection errors -> ``TemporaryBrokerError`` (retried with tenacity backoff);
other 4xx -> ``PermanentBrokerError``; 422 for a reused client id -> ``DuplicateClientOrderIdError``.
Live mode is refused unless ``live_enabled`` and a live approval token are given; the gate
(``quant.execution.gate``) still decides every single order.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide as AlpacaSide
from alpaca.trading.enums import OrderStatus as AlpacaStatus
from alpaca.trading.enums import TimeInForce as AlpacaTif
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest, StopLimitOrderRequest, StopOrderRequest
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from errors import ApprovalError, PermanentBrokerError, TemporaryBrokerError
from quant.execution.broker import Account, BrokerMode, DuplicateClientOrderIdError, Position
from quant.execution.orders import Order, OrderIntent, OrderStatus, OrderType, Side

T = TypeVar("T")
S = OrderStatus
STATUS_MAP: dict[str, OrderStatus] = {
    AlpacaStatus.PENDING_NEW: S.SUBMITTED, AlpacaStatus.NEW: S.ACCEPTED, AlpacaStatus.ACCEPTED: S.ACCEPTED,
    AlpacaStatus.ACCEPTED_FOR_BIDDING: S.ACCEPTED, AlpacaStatus.PENDING_REVIEW: S.SUBMITTED,
    AlpacaStatus.HELD: S.ACCEPTED, AlpacaStatus.CALCULATED: S.ACCEPTED, AlpacaStatus.STOPPED: S.ACCEPTED,
    AlpacaStatus.DONE_FOR_DAY: S.ACCEPTED, AlpacaStatus.PENDING_CANCEL: S.ACCEPTED,
    AlpacaStatus.PENDING_REPLACE: S.ACCEPTED, AlpacaStatus.PARTIALLY_FILLED: S.PARTIALLY_FILLED,
    AlpacaStatus.FILLED: S.FILLED, AlpacaStatus.CANCELED: S.CANCELED, AlpacaStatus.REPLACED: S.CANCELED,
    AlpacaStatus.EXPIRED: S.EXPIRED, AlpacaStatus.REJECTED: S.REJECTED, AlpacaStatus.SUSPENDED: S.REJECTED,
}


def map_status(alpaca_status: str) -> OrderStatus:
    """Our status for an Alpaca order status; an unknown status is treated as still open (ACCEPTED)."""
    return STATUS_MAP.get(AlpacaStatus(alpaca_status) if alpaca_status in AlpacaStatus._value2member_map_
                          else alpaca_status, S.ACCEPTED)


def classify(error: Exception, what: str) -> Exception:
    """Our error for an alpaca-py/requests error raised while doing ``what``."""
    if isinstance(error, requests.Timeout | requests.ConnectionError):
        return TemporaryBrokerError(f"Alpaca {what}: network error {type(error).__name__}")
    if isinstance(error, APIError):
        status = error.status_code or 0
        text = str(error)
        details = {"status_code": status, "operation": what}
        if status == 429 or status >= 500:
            return TemporaryBrokerError(f"Alpaca {what}: HTTP {status} {text}", details=details)
        if status == 422 and "client_order_id" in text and "unique" in text:
            return DuplicateClientOrderIdError(f"Alpaca {what}: client order id already used", details=details)
        return PermanentBrokerError(f"Alpaca {what}: HTTP {status} {text}", details=details)
    return error


def _request(intent: OrderIntent) -> MarketOrderRequest:
    common: dict[str, Any] = {
        "symbol": intent.symbol, "qty": float(intent.qty), "client_order_id": intent.client_order_id,
        "side": AlpacaSide.BUY if intent.side is Side.BUY else AlpacaSide.SELL,
        "time_in_force": AlpacaTif(intent.time_in_force.value),
    }
    if intent.order_type is OrderType.LIMIT:
        return LimitOrderRequest(limit_price=float(intent.limit_price), **common)  # type: ignore[arg-type]
    if intent.order_type is OrderType.STOP:
        return StopOrderRequest(stop_price=float(intent.stop_price), **common)  # type: ignore[arg-type]
    if intent.order_type is OrderType.STOP_LIMIT:
        return StopLimitOrderRequest(limit_price=float(intent.limit_price),  # type: ignore[arg-type]
                                     stop_price=float(intent.stop_price), **common)  # type: ignore[arg-type]
    return MarketOrderRequest(**common)


def _dec(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


class AlpacaBroker:
    """``BrokerClient`` for Alpaca. Pass ``client`` to reuse a configured ``TradingClient``."""

    def __init__(self, api_key: str | None = None, secret_key: str | None = None, *, paper: bool = True,
                 live_enabled: bool = False, live_approval_token: str | None = None,
                 client: TradingClient | None = None, max_attempts: int = 4,
                 backoff_seconds: tuple[float, float] = (0.5, 8.0)) -> None:
        if not paper and not (live_enabled and live_approval_token):
            raise ApprovalError("live Alpaca trading needs live_enabled=True and a live approval token",
                                details={"field": "live_approval_token"})
        self.mode = BrokerMode.PAPER if paper else BrokerMode.LIVE
        self._client = client or TradingClient(api_key, secret_key, paper=paper)
        # alpaca-py sleeps and retries 429/504 itself; tenacity below is the single retry policy
        self._client._retry = 0  # noqa: SLF001
        low, high = backoff_seconds
        self._retrying = Retrying(stop=stop_after_attempt(max_attempts), reraise=True,
                                  wait=wait_exponential(multiplier=low, max=high),
                                  retry=retry_if_exception_type(TemporaryBrokerError))

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        def once() -> T:
            try:
                return fn()
            except (APIError, requests.RequestException) as error:
                raise classify(error, what) from error
        return self._retrying(once)

    def _to_order(self, raw: Any, intent: OrderIntent | None = None) -> Order:
        if intent is None:
            kind = OrderType(str(getattr(raw.type, "value", raw.type) or "market"))
            intent = OrderIntent(symbol=raw.symbol, side=str(getattr(raw.side, "value", raw.side)),
                                 qty=Decimal(str(raw.qty)), strategy_id="alpaca", decision_key="alpaca",
                                 order_type=kind, limit_price=_dec(raw.limit_price),
                                 stop_price=_dec(raw.stop_price),
                                 time_in_force=str(getattr(raw.time_in_force, "value", raw.time_in_force)),
                                 client_order_id=raw.client_order_id)
        filled = _dec(raw.filled_qty) or Decimal(0)
        return Order(intent=intent, status=map_status(str(getattr(raw.status, "value", raw.status))),
                     filled_qty=filled, avg_fill_price=_dec(raw.filled_avg_price) if filled else None,
                     broker_order_id=str(raw.id), created_at=raw.created_at, updated_at=raw.updated_at)

    def place_order(self, intent: OrderIntent) -> Order:
        request = _request(intent)
        try:
            raw = self._call("submit_order", lambda: self._client.submit_order(request))
        except DuplicateClientOrderIdError:
            existing = self.get_order_by_client_id(intent.client_order_id)
            if existing is None:
                raise
            return existing
        return self._to_order(raw, intent)

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        try:
            raw = self._call("get_order_by_client_id",
                             lambda: self._client.get_order_by_client_id(client_order_id))
        except PermanentBrokerError as error:
            if error.details.get("status_code") == 404:
                return None
            raise
        return self._to_order(raw)

    def cancel_order(self, broker_order_id: str) -> None:
        self._call("cancel_order", lambda: self._client.cancel_order_by_id(broker_order_id))

    def get_positions(self) -> tuple[Position, ...]:
        raws = self._call("get_all_positions", self._client.get_all_positions)
        return tuple(Position(p.symbol, Decimal(str(p.qty)), Decimal(str(p.avg_entry_price))) for p in raws)

    def get_account(self) -> Account:
        raw = self._call("get_account", self._client.get_account)
        return Account(cash_usd=Decimal(str(raw.cash)), equity_usd=Decimal(str(raw.equity)),
                       buying_power_usd=Decimal(str(raw.buying_power)))
