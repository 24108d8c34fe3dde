"""Repositories of our order records: orders (the outbox rows), their events, the paper broker's fills and
positions. Read-only views here; writes happen in ``memory.outbox`` and ``memory.paper_broker``.

Quantities are ``Decimal`` shares, prices and fees ``Decimal`` dollars.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from errors import NotFoundError
from memory.db import Database
from memory.models.execution import FillRow, OrderEventRow, OrderRow, PositionRow
from quant.execution.orders import Fill, Order, OrderIntent, OrderStatus

OPEN_STATUSES = tuple(s.value for s in OrderStatus if not s.is_terminal)


def intent_to_json(intent: OrderIntent) -> dict[str, Any]:
    """Every field of ``intent`` as JSON (Decimals as exact strings)."""
    return {"symbol": intent.symbol, "side": intent.side.value, "qty": str(intent.qty),
            "strategy_id": intent.strategy_id, "decision_key": intent.decision_key,
            "order_type": intent.order_type.value,
            "limit_price": None if intent.limit_price is None else str(intent.limit_price),
            "stop_price": None if intent.stop_price is None else str(intent.stop_price),
            "time_in_force": intent.time_in_force.value, "client_order_id": intent.client_order_id}


def intent_from_json(data: dict[str, Any]) -> OrderIntent:
    return OrderIntent(**{**data, "qty": Decimal(data["qty"]),
                          "limit_price": None if data.get("limit_price") is None else Decimal(data["limit_price"]),
                          "stop_price": None if data.get("stop_price") is None else Decimal(data["stop_price"])})


def order_from_row(row: OrderRow) -> Order:
    return Order(intent=intent_from_json(row.intent), status=OrderStatus(row.status), filled_qty=row.filled_qty,
                 avg_fill_price=row.avg_fill_price, broker_order_id=row.broker_order_id,
                 created_at=row.created_at, updated_at=row.updated_at, reason=row.reason or "")


@dataclass(frozen=True)
class OrderRecord:
    """An order as we recorded it: the order, its outbox status, and who/what let it through."""

    order: Order
    outbox_status: str
    attempts: int
    mode: str
    requested_by: str | None
    approval_id: str | None
    account_id: str = "paper"

    def to_dict(self) -> dict[str, Any]:
        o = self.order
        return {"client_order_id": o.client_order_id, "symbol": o.intent.symbol, "side": o.intent.side.value,
                "qty": str(o.intent.qty), "order_type": o.intent.order_type.value,
                "limit_price": None if o.intent.limit_price is None else str(o.intent.limit_price),
                "stop_price": None if o.intent.stop_price is None else str(o.intent.stop_price),
                "strategy_id": o.intent.strategy_id, "status": o.status.value, "filled_qty": str(o.filled_qty),
                "avg_fill_price": None if o.avg_fill_price is None else str(o.avg_fill_price),
                "broker_order_id": o.broker_order_id, "outbox_status": self.outbox_status,
                "attempts": self.attempts, "mode": self.mode, "requested_by": self.requested_by,
                "approval_id": self.approval_id, "account_id": self.account_id, "reason": o.reason,
                "created_at": o.created_at.isoformat() if o.created_at else None}


def _record(row: OrderRow) -> OrderRecord:
    return OrderRecord(order_from_row(row), row.outbox_status, row.attempts, row.mode, row.requested_by,
                       row.approval_id, row.account_id)


@dataclass(frozen=True)
class OrderEventRecord:
    client_order_id: str
    ts: datetime
    kind: str
    from_status: str
    to_status: str
    filled_qty: Decimal
    avg_fill_price: Decimal | None
    broker_order_id: str | None
    reason: str


class OrderRepository:
    """Orders as recorded by the outbox, and the fills and positions the paper broker booked."""

    def __init__(self, database: Database):
        self._db = database

    def get(self, client_order_id: str) -> OrderRecord:
        with self._db.session() as s:
            row = s.get(OrderRow, client_order_id)
            if row is None:
                raise NotFoundError(f"no order {client_order_id!r}", details={"client_order_id": client_order_id})
            return _record(row)

    def list(self, *, status: str | None = None, symbol: str | None = None, limit: int = 200,
             account_id: str | None = None) -> list[OrderRecord]:
        """Newest first; ``status`` = an order status or ``open`` (not terminal); every account's unless
        ``account_id``."""
        query = select(OrderRow).order_by(OrderRow.created_at.desc(), OrderRow.client_order_id).limit(limit)
        if account_id:
            query = query.where(OrderRow.account_id == account_id)
        if status == "open":
            query = query.where(OrderRow.status.in_(OPEN_STATUSES))
        elif status:
            query = query.where(OrderRow.status == status)
        if symbol:
            query = query.where(OrderRow.symbol == symbol.upper())
        with self._db.session() as s:
            return [_record(r) for r in s.scalars(query)]

    def open_orders(self, account_id: str | None) -> list[Order]:
        """Orders of ``account_id`` (None: of every account) that may still trade: sent (or being sent) and not
        terminal."""
        query = select(OrderRow).where(OrderRow.status.in_(OPEN_STATUSES),
                                       OrderRow.outbox_status.in_(("recorded", "submitted", "resolved")))
        if account_id is not None:
            query = query.where(OrderRow.account_id == account_id)
        with self._db.session() as s:
            return [order_from_row(r) for r in s.scalars(query.order_by(OrderRow.created_at))]

    def events(self, client_order_id: str) -> list[OrderEventRecord]:
        query = select(OrderEventRow).where(OrderEventRow.client_order_id == client_order_id).order_by(
            OrderEventRow.id)
        with self._db.session() as s:
            return [OrderEventRecord(r.client_order_id, r.ts, r.kind, r.from_status, r.to_status, r.filled_qty,
                                     r.avg_fill_price, r.broker_order_id, r.reason) for r in s.scalars(query)]

    def expected_positions(self, account_id: str) -> dict[str, Decimal]:
        """Signed shares per symbol implied by the filled quantities of ``account_id``'s orders (what we believe
        it holds)."""
        held: dict[str, Decimal] = defaultdict(Decimal)
        with self._db.session() as s:
            for row in s.scalars(select(OrderRow).where(OrderRow.account_id == account_id, OrderRow.filled_qty != 0)):
                held[row.symbol] += row.filled_qty if row.side == "buy" else -row.filled_qty
        return {k: v for k, v in sorted(held.items()) if v != 0}

    def fills(self, *, account_id: str | None = None, client_order_id: str | None = None,
              since: datetime | None = None) -> list[Fill]:
        query = select(FillRow).order_by(FillRow.ts, FillRow.fill_id)
        if account_id:
            query = query.where(FillRow.account_id == account_id)
        if client_order_id:
            query = query.where(FillRow.client_order_id == client_order_id)
        if since is not None:
            query = query.where(FillRow.ts >= since)
        with self._db.session() as s:
            return [Fill(r.client_order_id, r.symbol, r.side, r.qty, r.price, r.fee_usd, r.ts, r.fill_id)
                    for r in s.scalars(query)]

    def positions(self, account_id: str) -> dict[str, tuple[Decimal, Decimal]]:
        """Symbol -> (signed shares, signed cost basis in dollars) held at the paper broker."""
        with self._db.session() as s:
            rows = s.scalars(select(PositionRow).where(PositionRow.account_id == account_id, PositionRow.qty != 0)
                             .order_by(PositionRow.symbol))
            return {r.symbol: (r.qty, r.cost_usd) for r in rows}
