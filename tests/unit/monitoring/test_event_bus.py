"""The in-process bus: filtered delivery, isolation of failing subscribers, threads, async streams."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from decimal import Decimal

from quant.monitoring.bus import EventBus
from quant.monitoring.events import DomainEvent, EventKind, FillPayload, KillSwitchPayload, NoticePayload

T0 = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)


def fill(order_id: str = "o-1") -> DomainEvent:
    return DomainEvent(EventKind.ORDER_FILLED, FillPayload(order_id, "AAPL", "buy", Decimal(10), Decimal("101.5")),
                       ts=T0)


def kill() -> DomainEvent:
    return DomainEvent(EventKind.KILL_SWITCH_ACTIVATED, KillSwitchPayload(True, "drawdown 12%", "risk-engine"), ts=T0)


def test_subscribers_receive_only_the_kinds_they_asked_for():
    bus, everything, kills = EventBus(), [], []
    bus.subscribe(everything.append)
    bus.subscribe(kills.append, kinds=["KillSwitchActivated"])

    bus.publish(fill())
    bus.publish(kill())

    assert [e.kind for e in everything] == [EventKind.ORDER_FILLED, EventKind.KILL_SWITCH_ACTIVATED]
    assert [e.kind for e in kills] == [EventKind.KILL_SWITCH_ACTIVATED]


def test_a_failing_subscriber_never_breaks_the_publisher_or_the_others():
    bus, received = EventBus(), []

    def broken(event: DomainEvent) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe(broken)
    bus.subscribe(received.append)

    report = bus.publish(fill())

    assert (report.delivered, report.failed) == (1, 1)
    assert received == [fill()]
    assert bus.failures == 1


def test_unsubscribed_callbacks_receive_nothing_more():
    bus, received = EventBus(), []
    subscription = bus.subscribe(received.append)
    bus.publish(fill("o-1"))
    bus.unsubscribe(subscription)
    bus.publish(fill("o-2"))
    assert [e.payload.order_id for e in received] == ["o-1"]


def test_publishing_from_many_threads_delivers_every_event_once():
    bus, received, lock = EventBus(), [], threading.Lock()

    def collect(event: DomainEvent) -> None:
        with lock:
            received.append(event.payload.order_id)

    bus.subscribe(collect)
    threads = [threading.Thread(target=lambda w=w: [bus.publish(fill(f"{w}-{i}")) for i in range(200)])
               for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(received) == sorted(f"{w}-{i}" for w in range(4) for i in range(200))


def test_an_async_stream_yields_events_published_from_another_thread():
    async def main() -> list[DomainEvent]:
        bus = EventBus()
        got = []
        async with bus.stream(kinds=[EventKind.ORDER_FILLED]) as stream:
            publisher = threading.Thread(target=lambda: [bus.publish(e) for e in (kill(), fill("a"), fill("b"))])
            publisher.start()
            async for event in stream:
                got.append(event)
                if len(got) == 2:
                    break
            publisher.join()
        return got

    got = asyncio.run(asyncio.wait_for(main(), timeout=5))
    assert [e.payload.order_id for e in got] == ["a", "b"]


def test_a_slow_stream_drops_the_oldest_events_instead_of_blocking():
    async def main():
        bus = EventBus()
        stream = bus.stream(max_queued=2)
        for i in range(5):
            bus.publish(DomainEvent(EventKind.SYSTEM_ALERT, NoticePayload(f"n{i}"), ts=T0))
        stream.close()  # closing right away must not lose what was already handed over
        await asyncio.sleep(0)  # let the loop run the queued hand-overs
        return [e.payload.message async for e in stream], stream.dropped

    messages, dropped = asyncio.run(main())
    assert messages == ["n3", "n4"] and dropped == 3
