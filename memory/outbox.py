"""``PostgresOrderOutbox``: the ``OrderOutbox`` of ``quant.execution.exactly_once`` on the ``orders`` table.

Each call is one transaction holding the row lock (``SELECT ... FOR UPDATE``), so a crash between two
calls leaves the last committed step, which ``recover`` reads after a restart. ``record_intent`` is
idempotent on ``client_order_id``. Every status change also appends an ``order_events`` row. An outbox serves
one account: a client order id recorded for another account is refused, never taken for a replay.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from errors import ConfigError, NotFoundError
from memory.db import Database
from memory.models.execution import OrderEventRow, OrderRow
from memory.orders import OPEN_STATUSES, intent_from_json, intent_to_json, order_from_row
from quant.execution.exactly_once import OutboxEntry, OutboxStatus
from quant.execution.orders import Order, OrderIntent


def _entry(row: OrderRow) -> OutboxEntry:
    status = OutboxStatus(row.outbox_status)
    order = order_from_row(row) if status is OutboxStatus.RESOLVED else None
    return OutboxEntry(intent=intent_from_json(row.intent), status=status, order=order, attempts=row.attempts)


class PostgresOrderOutbox:
    """Durable outbox of ``account_id``. ``mode``, ``requested_by`` and ``approval_id`` are stored with each new
    intent; ``on_result(connection, entry)`` runs in the transaction that stores the broker's answer (the order's
    audit row)."""

    def __init__(self, database: Database, *, account_id: str = "paper", mode: str = "paper",
                 requested_by: str | None = None, approval_id: str | None = None,
                 on_result: Callable[[Connection, OutboxEntry], None] | None = None) -> None:
        self._db = database
        self.account_id = account_id
        self.mode = mode
        self.requested_by = requested_by
        self.approval_id = approval_id
        self.on_result = on_result

    def record_intent(self, intent: OrderIntent) -> OutboxEntry:
        cid = intent.client_order_id
        with self._db.session() as s:
            inserted = s.execute(insert(OrderRow).values(
                client_order_id=cid, account_id=self.account_id, intent=intent_to_json(intent), symbol=intent.symbol,
                side=intent.side.value, qty=intent.qty, strategy_id=intent.strategy_id,
                outbox_status=OutboxStatus.RECORDED.value, attempts=0, status="new", filled_qty=0, reason="",
                mode=self.mode, requested_by=self.requested_by, approval_id=self.approval_id,
            ).on_conflict_do_nothing().returning(OrderRow.client_order_id)).first()
            row = s.get(OrderRow, cid, with_for_update=True)
            assert row is not None
            self._same_account(row)
            if inserted is None and intent_from_json(row.intent) != intent:
                raise ConfigError(f"client order id {cid} already used by a different intent",
                                  details={"client_order_id": cid})
            if inserted is not None:
                self._event(s, row, "outbox", "none", OutboxStatus.RECORDED.value, "intent recorded")
            return _entry(row)

    def mark_submitted(self, client_order_id: str) -> OutboxEntry:
        with self._db.session() as s:
            row = self._require(s, client_order_id)
            before = row.outbox_status
            row.outbox_status, row.attempts = OutboxStatus.SUBMITTED.value, row.attempts + 1
            row.updated_at = datetime.now(UTC)
            self._event(s, row, "outbox", before, row.outbox_status, f"send attempt {row.attempts}")
            return _entry(row)

    def mark_result(self, client_order_id: str, order: Order) -> OutboxEntry:
        with self._db.session() as s:
            row = self._require(s, client_order_id)
            if row.outbox_status != OutboxStatus.RESOLVED.value:
                self._event(s, row, "outbox", row.outbox_status, OutboxStatus.RESOLVED.value, "broker answered")
            changed = (row.status, row.filled_qty, row.broker_order_id) != (
                order.status.value, order.filled_qty, order.broker_order_id or row.broker_order_id)
            before = row.status
            row.outbox_status = OutboxStatus.RESOLVED.value
            row.status, row.filled_qty, row.avg_fill_price = order.status.value, order.filled_qty, order.avg_fill_price
            row.broker_order_id = order.broker_order_id or row.broker_order_id
            row.reason = order.reason or row.reason
            row.created_at = order.created_at or row.created_at  # the broker's times, so a replay is equal
            row.updated_at = order.updated_at or datetime.now(UTC)
            if changed:
                self._event(s, row, "order", before, row.status, order.reason)
            entry = _entry(row)
            if self.on_result is not None:
                self.on_result(s.connection(), entry)
            return entry

    def mark_abandoned(self, client_order_id: str) -> OutboxEntry:
        with self._db.session() as s:
            row = self._require(s, client_order_id)
            before = row.outbox_status
            row.outbox_status, row.updated_at = OutboxStatus.ABANDONED.value, datetime.now(UTC)
            self._event(s, row, "outbox", before, row.outbox_status, "not sent after a restart")
            return _entry(row)

    def get(self, client_order_id: str) -> OutboxEntry | None:
        with self._db.session() as s:
            row = s.get(OrderRow, client_order_id)
            return None if row is None else _entry(self._same_account(row))

    def unresolved(self) -> tuple[OutboxEntry, ...]:
        query = select(OrderRow).where(OrderRow.account_id == self.account_id, or_(
            OrderRow.outbox_status.in_((OutboxStatus.RECORDED.value, OutboxStatus.SUBMITTED.value)),
            (OrderRow.outbox_status == OutboxStatus.RESOLVED.value) & OrderRow.status.in_(OPEN_STATUSES),
        )).order_by(OrderRow.created_at, OrderRow.client_order_id)
        with self._db.session() as s:
            return tuple(_entry(r) for r in s.scalars(query))

    def _same_account(self, row: OrderRow) -> OrderRow:
        if row.account_id != self.account_id:
            raise ConfigError(f"client order id {row.client_order_id} is an order of account {row.account_id}, not "
                              f"{self.account_id}; use another decision key", code="order_of_another_account",
                              details={"client_order_id": row.client_order_id, "account_id": row.account_id})
        return row

    @staticmethod
    def _require(s: Session, client_order_id: str) -> OrderRow:
        row = s.get(OrderRow, client_order_id, with_for_update=True)
        if row is None:
            raise NotFoundError(f"no outbox entry for client order id {client_order_id}",
                                details={"client_order_id": client_order_id})
        return row

    @staticmethod
    def _event(s: Session, row: OrderRow, kind: str, before: str, after: str, reason: str) -> None:
        s.add(OrderEventRow(client_order_id=row.client_order_id, kind=kind, from_status=before, to_status=after,
                            filled_qty=row.filled_qty, avg_fill_price=row.avg_fill_price,
                            broker_order_id=row.broker_order_id, reason=reason or ""))
