"""The alerts repository: store an alert, count a repeat of it, read what was sent when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from memory.db import Database
from memory.models.alerts import Alert

SENT = ("delivered", "stored")  # statuses that count against the rate limit (suppressed ones never went out)


@dataclass(frozen=True)
class AlertRecord:
    id: int
    created_at: datetime
    last_seen_at: datetime
    severity: str
    message: str
    fingerprint: str
    source: str
    user_id: int | None
    user_name: str | None
    thread_id: str | None
    turn_id: str | None
    repeats: int
    status: str
    outputs: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _record(row: Alert) -> AlertRecord:
    return AlertRecord(**{k: getattr(row, k) for k in AlertRecord.__dataclass_fields__})


class AlertStore:
    def __init__(self, database: Database):
        self.database = database

    def add(self, *, at: datetime, severity: str, message: str, fingerprint: str, source: str, user_id: int | None,
            user_name: str | None, thread_id: str | None, turn_id: str | None, status: str, outputs: list[Any]
            ) -> AlertRecord:
        def write(session: Session) -> AlertRecord:
            row = Alert(created_at=at, last_seen_at=at, severity=severity, message=message, fingerprint=fingerprint,
                        source=source, user_id=user_id, user_name=user_name, thread_id=thread_id, turn_id=turn_id,
                        repeats=1, status=status, outputs=outputs)
            session.add(row)
            session.flush()
            return _record(row)

        return self.database.transaction(write)

    def same_burst(self, fingerprint: str, *, turn_id: str | None, since: datetime) -> AlertRecord | None:
        """The latest alert with ``fingerprint`` from the same turn, or (any turn) at or after ``since``."""
        query = select(Alert).where(Alert.fingerprint == fingerprint)
        query = query.where((Alert.turn_id == turn_id) | (Alert.last_seen_at >= since)) if turn_id \
            else query.where(Alert.last_seen_at >= since)
        return self.database.read(lambda s: next((_record(r) for r in s.scalars(
            query.order_by(Alert.id.desc()).limit(1))), None))

    def repeat(self, alert_id: int, at: datetime) -> AlertRecord:
        def write(session: Session) -> AlertRecord:
            session.execute(update(Alert).where(Alert.id == alert_id)
                            .values(repeats=Alert.repeats + 1, last_seen_at=at))
            return _record(session.get_one(Alert, alert_id))

        return self.database.transaction(write)

    def sent_since(self, since: datetime) -> int:
        query = select(func.count(Alert.id)).where(Alert.created_at >= since, Alert.status.in_(SENT))
        return self.database.read(lambda s: int(s.execute(query).scalar_one()))

    def since(self, since: datetime, limit: int = 200) -> list[AlertRecord]:
        query = select(Alert).where(Alert.created_at >= since).order_by(Alert.id.desc()).limit(limit)
        return self.database.read(lambda s: [_record(r) for r in s.scalars(query)])
