"""Domain events on the real Postgres: stored, read back typed, delivered after commit only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from memory.events import EventLog, EventStore
from quant.monitoring.bus import EventBus
from quant.monitoring.events import DomainEvent, EventKind, FillPayload, NoticePayload, TradingStatePayload

T0 = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)


def fill(order_id: str, ts: datetime = T0) -> DomainEvent:
    return DomainEvent(EventKind.ORDER_FILLED,
                       FillPayload(order_id, "AAPL", "buy", Decimal("10"), Decimal("101.2345")), source="broker", ts=ts)


def halted(ts: datetime = T0) -> DomainEvent:
    return DomainEvent(EventKind.TRADING_STATE_CHANGED, TradingStatePayload("ACTIVE", "HALTED", "kill switch"), ts=ts)


def test_recorded_events_are_stored_and_delivered_to_subscribers(database):
    bus, received = EventBus(), []
    bus.subscribe(received.append)
    log = EventLog(EventStore(database), bus)

    stored = log.record(fill("o-1"))

    assert stored.id is not None
    assert received == [stored]
    [back] = EventStore(database).recent()
    assert back == stored  # typed payload, exact decimals, same timestamp


def test_a_failing_subscriber_does_not_stop_storage_or_other_subscribers(database):
    bus, received = EventBus(), []
    bus.subscribe(lambda e: 1 / 0)
    bus.subscribe(received.append)

    EventLog(EventStore(database), bus).record(fill("o-1"))

    assert len(received) == 1 and bus.failures == 1
    assert len(EventStore(database).recent()) == 1


def test_events_in_a_caller_transaction_are_published_only_after_commit(database):
    bus, received = EventBus(), []
    bus.subscribe(received.append)
    log = EventLog(EventStore(database), bus)

    with database.engine.begin() as conn:
        log.record(fill("o-1"), connection=conn)
        assert received == []
    assert [e.payload.order_id for e in received] == ["o-1"]


def test_events_in_a_rolled_back_transaction_are_neither_stored_nor_published(database):
    bus, received = EventBus(), []
    bus.subscribe(received.append)
    log = EventLog(EventStore(database), bus)

    with pytest.raises(RuntimeError), database.engine.begin() as conn:
        log.record(fill("o-1"), connection=conn)
        raise RuntimeError("order write failed")

    assert received == [] and EventStore(database).recent() == []


def test_recent_filters_by_kind_and_time_newest_first(database):
    store = EventStore(database)
    for minutes, event in enumerate([fill("o-1"), halted(), fill("o-2"), fill("o-3")]):
        store.append(DomainEvent(event.kind, event.payload, ts=T0 + timedelta(minutes=minutes)))

    fills = store.recent(kinds=[EventKind.ORDER_FILLED])
    later = store.recent(since=T0 + timedelta(minutes=2))
    newest = store.recent(limit=1)

    assert [e.payload.order_id for e in fills] == ["o-3", "o-2", "o-1"]
    assert [e.payload.order_id for e in later] == ["o-3", "o-2"]
    assert newest[0].payload.order_id == "o-3"


def test_secrets_in_event_payloads_are_masked_in_storage(database):
    event = DomainEvent(EventKind.SYSTEM_ALERT, NoticePayload("broker login failed", "warning",
                                                              {"api_key": "PKLIVE999", "status": 401}), ts=T0)
    EventStore(database).append(event)

    with database.engine.connect() as conn:
        raw = conn.execute(text("SELECT payload::text FROM events")).scalar_one()
    assert "PKLIVE999" not in raw and '"status": 401' in raw
