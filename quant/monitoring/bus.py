"""In-process delivery of domain events: subscribe a callback (optionally to some kinds), publish.

Thread-safe: the subscriber list is replaced, never mutated, so ``publish`` reads it without a
lock and a callback may (un)subscribe while being called. A subscriber that raises is logged and
counted; the publisher and the other subscribers never notice. ``stream()`` adapts the bus to an
``async for`` loop (for a UI over server-sent events or websockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from quant.monitoring.events import DomainEvent, EventKind

Subscriber = Callable[[DomainEvent], None]


def _log():
    """The bus's logger; structlog (and the console renderer it loads) only once a subscriber fails, so a
    command that only reads events starts without it."""
    import structlog

    return structlog.get_logger(__name__)


@dataclass(frozen=True)
class PublishReport:
    """How many subscribers received the event and how many raised."""

    delivered: int
    failed: int


@dataclass(frozen=True)
class Subscription:
    id: int
    callback: Subscriber
    kinds: frozenset[EventKind] | None

    def wants(self, event: DomainEvent) -> bool:
        return self.kinds is None or event.kind in self.kinds


class EventBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: tuple[Subscription, ...] = ()
        self._ids = itertools.count(1)
        self._failures = 0

    @property
    def failures(self) -> int:
        """Subscriber calls that raised since the bus was created."""
        return self._failures

    def subscribe(self, callback: Subscriber, kinds: Iterable[EventKind | str] | None = None) -> Subscription:
        """Call ``callback(event)`` for every published event (of ``kinds`` only, when given)."""
        wanted = None if kinds is None else frozenset(EventKind(k) for k in kinds)
        with self._lock:
            subscription = Subscription(next(self._ids), callback, wanted)
            self._subscriptions = (*self._subscriptions, subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions = tuple(s for s in self._subscriptions if s.id != subscription.id)

    def publish(self, event: DomainEvent) -> PublishReport:
        """Deliver ``event`` synchronously, in subscription order; never raises for a subscriber."""
        delivered = failed = 0
        for subscription in self._subscriptions:
            if not subscription.wants(event):
                continue
            try:
                subscription.callback(event)
                delivered += 1
            except Exception as exc:  # noqa: BLE001 - a broken subscriber must not break the publisher
                failed += 1
                with self._lock:
                    self._failures += 1
                _log().warning("event_subscriber_failed", kind=event.kind.value, subscription=subscription.id,
                               error=f"{type(exc).__name__}: {exc}")
        return PublishReport(delivered, failed)

    def stream(self, kinds: Iterable[EventKind | str] | None = None, *, max_queued: int = 1000) -> EventStream:
        """An async iterator over events published from now on; call inside a running event loop."""
        return EventStream(self, kinds, max_queued)


class EventStream:
    """``async for event in bus.stream(): ...``; events published from any thread arrive on this loop.

    When a slow consumer lets ``max_queued`` events pile up, the oldest is dropped (``dropped``
    counts them): a UI wants the latest state, and the bus must never block a publisher.
    """

    def __init__(self, bus: EventBus, kinds: Iterable[EventKind | str] | None, max_queued: int):
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[DomainEvent | None] = asyncio.Queue(maxsize=max_queued)
        self._bus = bus
        self._closed = False
        self.dropped = 0
        self._subscription = bus.subscribe(self._from_any_thread, kinds)

    def _from_any_thread(self, event: DomainEvent) -> None:
        if self._closed:
            return
        try:
            self._loop.call_soon_threadsafe(self._put, event)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self.close()

    def _put(self, event: DomainEvent | None) -> None:
        if event is None and self._queue.full():
            return  # the end-of-stream mark never displaces an event; __anext__ sees the closed flag
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

    def close(self) -> None:
        """Stop receiving; an ``async for`` over the stream ends after the events already queued."""
        if self._closed:
            return
        self._closed = True
        self._bus.unsubscribe(self._subscription)
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._put, None)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> DomainEvent:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


_process_bus = EventBus()


def process_bus() -> EventBus:
    """The bus shared by everything in this process (API streaming, alerting, metrics)."""
    return _process_bus
