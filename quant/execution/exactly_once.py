"""Exactly-once order submission through an outbox.

Protocol: (1) ``record_intent`` before anything is sent (idempotent on ``client_order_id``);
(2) ``mark_submitted`` right before the broker call, so a crash after the broker accepted is visible;
(3) ``mark_result`` with the broker's order. After a crash at any point, ``recover`` asks the broker by
client order id before anything else, so the same intent never becomes two broker orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from errors import ConfigError, NotFoundError, PermanentBrokerError, TemporaryBrokerError
from quant.execution.broker import BrokerClient, DuplicateClientOrderIdError
from quant.execution.orders import Order, OrderIntent, OrderStatus


class OutboxStatus(StrEnum):
    RECORDED = "recorded"  # written, never sent
    SUBMITTED = "submitted"  # a send was attempted; the broker may or may not hold it
    RESOLVED = "resolved"  # the broker's order is known
    ABANDONED = "abandoned"  # never reached the broker and recovery chose not to send it


@dataclass(frozen=True)
class OutboxEntry:
    """One intent in the outbox with the last known broker order (None until resolved)."""

    intent: OrderIntent
    status: OutboxStatus
    order: Order | None = None
    attempts: int = 0


class OrderOutbox(Protocol):
    """Durable record of intents; the Postgres implementation must make each call one transaction."""

    def record_intent(self, intent: OrderIntent) -> OutboxEntry:
        """Store ``intent`` as RECORDED, or return the existing entry for its client order id."""
        ...

    def mark_submitted(self, client_order_id: str) -> OutboxEntry: ...

    def mark_result(self, client_order_id: str, order: Order) -> OutboxEntry: ...

    def mark_abandoned(self, client_order_id: str) -> OutboxEntry: ...

    def get(self, client_order_id: str) -> OutboxEntry | None: ...

    def unresolved(self) -> tuple[OutboxEntry, ...]:
        """Entries RECORDED or SUBMITTED, plus RESOLVED ones whose order is not terminal yet."""
        ...


class InMemoryOrderOutbox:
    """``OrderOutbox`` in a dict; it survives a simulated crash because tests keep the object."""

    def __init__(self) -> None:
        self._entries: dict[str, OutboxEntry] = {}

    def record_intent(self, intent: OrderIntent) -> OutboxEntry:
        existing = self._entries.get(intent.client_order_id)
        if existing is not None:
            if existing.intent != intent:
                raise ConfigError(f"client order id {intent.client_order_id} already used by a different intent",
                                  details={"client_order_id": intent.client_order_id})
            return existing
        entry = OutboxEntry(intent=intent, status=OutboxStatus.RECORDED)
        self._entries[intent.client_order_id] = entry
        return entry

    def mark_submitted(self, client_order_id: str) -> OutboxEntry:
        entry = self._require(client_order_id)
        return self._put(replace(entry, status=OutboxStatus.SUBMITTED, attempts=entry.attempts + 1))

    def mark_result(self, client_order_id: str, order: Order) -> OutboxEntry:
        return self._put(replace(self._require(client_order_id), status=OutboxStatus.RESOLVED, order=order))

    def mark_abandoned(self, client_order_id: str) -> OutboxEntry:
        return self._put(replace(self._require(client_order_id), status=OutboxStatus.ABANDONED))

    def get(self, client_order_id: str) -> OutboxEntry | None:
        return self._entries.get(client_order_id)

    def unresolved(self) -> tuple[OutboxEntry, ...]:
        return tuple(e for e in self._entries.values() if e.status in (OutboxStatus.RECORDED, OutboxStatus.SUBMITTED)
                     or (e.status is OutboxStatus.RESOLVED and e.order is not None and not e.order.is_terminal))

    def entries(self) -> tuple[OutboxEntry, ...]:
        return tuple(self._entries.values())

    def _require(self, client_order_id: str) -> OutboxEntry:
        entry = self._entries.get(client_order_id)
        if entry is None:
            raise NotFoundError(f"no outbox entry for client order id {client_order_id}")
        return entry

    def _put(self, entry: OutboxEntry) -> OutboxEntry:
        self._entries[entry.intent.client_order_id] = entry
        return entry


def submit_exactly_once(intent: OrderIntent, outbox: OrderOutbox, broker: BrokerClient) -> Order:
    """Send ``intent`` at most once: replays return the known order; a send whose response was lost is
    found again by client order id. Raises ``TemporaryBrokerError`` when the broker is unreachable
    (the entry stays SUBMITTED and ``recover`` or a retry of this call finishes it)."""
    entry = outbox.record_intent(intent)
    cid = intent.client_order_id
    if entry.status is OutboxStatus.RESOLVED and entry.order is not None:
        return entry.order
    if entry.status is OutboxStatus.ABANDONED:
        raise ConfigError(f"order {cid} was abandoned during recovery; decide again with a new decision key",
                          details={"client_order_id": cid})
    if entry.status is OutboxStatus.SUBMITTED:
        known = broker.get_order_by_client_id(cid)
        if known is not None:
            outbox.mark_result(cid, known)
            return known
    outbox.mark_submitted(cid)
    try:
        order = broker.place_order(intent)
    except (TemporaryBrokerError, DuplicateClientOrderIdError):
        known = broker.get_order_by_client_id(cid)
        if known is None:
            raise
        order = known
    except PermanentBrokerError as refused:
        outbox.mark_result(cid, Order(intent=intent, status=OrderStatus.REJECTED, reason=refused.message))
        raise
    outbox.mark_result(cid, order)
    return order


@dataclass(frozen=True)
class RecoveryReport:
    """What ``recover`` did, by client order id."""

    found_at_broker: tuple[str, ...]
    resubmitted: tuple[str, ...]
    abandoned: tuple[str, ...]
    refreshed: tuple[str, ...]
    still_unknown: tuple[str, ...]


def recover(outbox: OrderOutbox, broker: BrokerClient, *,
            may_resubmit: Callable[[OrderIntent], bool] | None = None) -> RecoveryReport:
    """Bring every unresolved outbox entry in line with the broker after a restart.

    An entry the broker knows is marked with the broker's order (never sent again). An entry the broker
    never received is sent once if ``may_resubmit(intent)`` says so (e.g. the trading state is ACTIVE and
    the approval still holds), otherwise abandoned: by default a stale order is not sent after a crash.
    Open orders already resolved are refreshed so fills missed during the crash are seen.
    """
    found: list[str] = []
    resubmitted: list[str] = []
    abandoned: list[str] = []
    refreshed: list[str] = []
    unknown: list[str] = []
    for entry in outbox.unresolved():
        cid = entry.intent.client_order_id
        try:
            known = broker.get_order_by_client_id(cid)
        except TemporaryBrokerError:
            unknown.append(cid)
            continue
        if known is not None:
            outbox.mark_result(cid, known)
            (refreshed if entry.status is OutboxStatus.RESOLVED else found).append(cid)
        elif entry.status is OutboxStatus.RESOLVED:
            unknown.append(cid)  # the broker forgot an order it returned: needs a human
        elif may_resubmit is not None and may_resubmit(entry.intent):
            try:
                submit_exactly_once(entry.intent, outbox, broker)
                resubmitted.append(cid)
            except TemporaryBrokerError:
                unknown.append(cid)
        else:
            outbox.mark_abandoned(cid)
            abandoned.append(cid)
    return RecoveryReport(tuple(found), tuple(resubmitted), tuple(abandoned), tuple(refreshed), tuple(unknown))
