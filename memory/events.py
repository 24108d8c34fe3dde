"""Domain events stored in the ``events`` table and published to the in-process bus.

``EventLog.record`` is the one way to emit an event: it stores it, then publishes it — and when
the caller passes its own ``connection``, publishes only after that transaction commits, so no
subscriber ever sees an event that was rolled back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Connection, event, text

from errors import ConfigError
from guardrails.redaction import redact_value
from memory.db import Database
from quant.monitoring.bus import EventBus, PublishReport, process_bus
from quant.monitoring.events import DomainEvent, EventKind, payload_from_dict, payload_to_dict

_INSERT = text(
    "INSERT INTO events (ts, kind, source, subject, correlation_id, payload) "
    "VALUES (:ts, :kind, :source, :subject, :cid, CAST(:payload AS jsonb)) RETURNING id"
)


class EventStore:
    """Stores and reads domain events; payloads are redacted of secrets before storing."""

    def __init__(self, database: Database):
        self._db = database

    def append(self, event: DomainEvent, *, connection: Connection | None = None) -> DomainEvent:
        """Store ``event``; returns it with its ``id``. Joins ``connection``'s transaction when given."""
        params = {"ts": event.ts, "kind": event.kind.value, "source": event.source, "subject": event.subject,
                  "cid": event.correlation_id,
                  "payload": json.dumps(redact_value(payload_to_dict(event.payload)), allow_nan=False)}
        if connection is None:
            with self._db.begin() as conn:
                new_id = conn.execute(_INSERT, params).scalar_one()
        else:
            new_id = connection.execute(_INSERT, params).scalar_one()
        return replace(event, id=int(new_id))

    def recent(
        self, kinds: Iterable[EventKind | str] | None = None, since: datetime | None = None, limit: int = 100
    ) -> list[DomainEvent]:
        """The newest ``limit`` events (of ``kinds``, at or after ``since``), newest first."""
        if limit < 1:
            raise ConfigError(f"limit must be at least 1, got {limit}", details={"limit": limit})
        if since is not None and since.tzinfo is None:
            raise ConfigError("since must be timezone-aware", details={"since": str(since)})
        where, params = [], {"n": limit}
        if kinds is not None:
            where.append("kind = ANY(:kinds)")
            params["kinds"] = [EventKind(k).value for k in kinds]
        if since is not None:
            where.append("ts >= :since")
            params["since"] = since
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT id, ts, kind, source, subject, correlation_id, payload FROM events {clause} " \
              "ORDER BY ts DESC, id DESC LIMIT :n"
        with self._db.engine.connect() as conn:
            rows = conn.execute(text(sql), params).all()
        return [
            DomainEvent(kind=EventKind(r.kind), payload=payload_from_dict(r.kind, dict(r.payload)), source=r.source,
                        subject=r.subject, ts=r.ts.astimezone(UTC), correlation_id=r.correlation_id, id=int(r.id))
            for r in rows
        ]


class EventLog:
    """Store, then publish. ``bus`` defaults to the process-wide bus."""

    def __init__(self, store: EventStore, bus: EventBus | None = None):
        self.store = store
        self.bus = bus or process_bus()

    def record(self, event: DomainEvent, *, connection: Connection | None = None) -> DomainEvent:
        """Store ``event`` and publish it (after ``connection``'s transaction commits, when given)."""
        stored = self.store.append(event, connection=connection)
        if connection is None:
            self.bus.publish(stored)
        else:
            _publish_on_commit(connection, self.bus, stored)
        return stored


def _publish_on_commit(connection: Connection, bus: EventBus, stored: DomainEvent) -> None:
    state = {"cancelled": False}

    def on_commit(_conn: Connection) -> PublishReport | None:
        return None if state["cancelled"] else bus.publish(stored)

    def on_rollback(_conn: Connection) -> None:
        state["cancelled"] = True

    event.listen(connection, "commit", on_commit, once=True)
    event.listen(connection, "rollback", on_rollback, once=True)
