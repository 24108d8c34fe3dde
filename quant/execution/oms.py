"""The order state machine.

NEW -> SUBMITTED -> ACCEPTED -> PARTIALLY_FILLED -> FILLED, or CANCELED / REJECTED / EXPIRED.

Pure functions: each takes an ``Order`` and returns the next ``Order`` with the ``OrderEvent`` that
records the change (the caller persists it). An illegal change raises ``IllegalTransitionError``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from errors import QuantpilotError
from quant.execution.orders import Fill, Order, OrderStatus

S = OrderStatus
ALLOWED_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.SUBMITTED, S.REJECTED, S.CANCELED}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.REJECTED, S.CANCELED, S.EXPIRED}),
    S.ACCEPTED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.REJECTED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED}),
    S.FILLED: frozenset(),
    S.CANCELED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}
_FILLABLE = frozenset({S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_FILLED})


class IllegalTransitionError(QuantpilotError):
    """An order was asked to move to a status its current status cannot reach (or was overfilled)."""

    code = "illegal_order_transition"


@dataclass(frozen=True)
class OrderEvent:
    """One recorded change of an order's status; ``fill`` is set when the change came from an execution."""

    client_order_id: str
    from_status: OrderStatus
    to_status: OrderStatus
    ts: datetime
    filled_qty: Decimal
    avg_fill_price: Decimal | None
    broker_order_id: str | None
    reason: str = ""
    fill: Fill | None = None


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[current]


def transition(order: Order, to: OrderStatus, *, ts: datetime, reason: str = "",
               broker_order_id: str | None = None) -> tuple[Order, OrderEvent]:
    """Move ``order`` to ``to`` (not for fills: use ``apply_fill``); returns the new order and its event."""
    if to in (S.PARTIALLY_FILLED, S.FILLED):
        raise IllegalTransitionError(
            f"order {order.client_order_id}: {to.value} is reached through apply_fill, not transition",
            details={"client_order_id": order.client_order_id, "from": order.status.value, "to": to.value})
    _require(order, to)
    updated = replace(order, status=to, updated_at=ts, reason=reason or order.reason,
                      broker_order_id=broker_order_id or order.broker_order_id,
                      created_at=order.created_at or ts)
    return updated, _event(order, updated, ts, reason)


def apply_fill(order: Order, fill: Fill) -> tuple[Order, OrderEvent]:
    """Book an execution: volume-weighted ``avg_fill_price``, status PARTIALLY_FILLED or FILLED."""
    if fill.client_order_id != order.client_order_id:
        raise IllegalTransitionError(
            f"fill for {fill.client_order_id} applied to order {order.client_order_id}",
            details={"client_order_id": order.client_order_id, "fill_order_id": fill.client_order_id})
    if order.status not in _FILLABLE:
        raise IllegalTransitionError(
            f"order {order.client_order_id} cannot be filled in status {order.status.value}",
            details={"client_order_id": order.client_order_id, "from": order.status.value, "to": "fill"})
    new_filled = order.filled_qty + fill.qty
    if new_filled > order.intent.qty:
        raise IllegalTransitionError(
            f"order {order.client_order_id} overfilled: {new_filled} > {order.intent.qty} shares",
            details={"client_order_id": order.client_order_id, "filled_qty": str(new_filled),
                     "qty": str(order.intent.qty)})
    previous_value = order.filled_qty * (order.avg_fill_price or Decimal(0))
    avg = (previous_value + fill.qty * fill.price) / new_filled
    to = S.FILLED if new_filled == order.intent.qty else S.PARTIALLY_FILLED
    updated = replace(order, status=to, filled_qty=new_filled, avg_fill_price=avg, updated_at=fill.ts)
    return updated, _event(order, updated, fill.ts, "", fill)


def _require(order: Order, to: OrderStatus) -> None:
    if not can_transition(order.status, to):
        raise IllegalTransitionError(
            f"order {order.client_order_id} cannot go from {order.status.value} to {to.value}",
            details={"client_order_id": order.client_order_id, "from": order.status.value, "to": to.value})


def _event(before: Order, after: Order, ts: datetime, reason: str, fill: Fill | None = None) -> OrderEvent:
    return OrderEvent(client_order_id=after.client_order_id, from_status=before.status, to_status=after.status,
                      ts=ts, filled_qty=after.filled_qty, avg_fill_price=after.avg_fill_price,
                      broker_order_id=after.broker_order_id, reason=reason, fill=fill)
