"""The alert ledger: alerts to the operators, the same whatever sends them (an agent's ``send_alert``, an MCP
caller, a service), stored in Postgres, de-duplicated per burst, rate-limited, then delivered through the alert
channels of ``services.alerts``.

- An alert identical to one of the same turn, or to one sent within ``dedupe_window`` (same severity,
  same text up to case and spacing), is a repeat: its ``repeats`` count goes up and nothing is sent.
- Past ``rate_limit`` alerts in ``rate_window`` the alert is stored as ``suppressed`` and sent nowhere.
- Otherwise ``services.alerts.AlertDispatcher`` sends it to every channel (the log, Slack, a webhook; a
  broken channel never silences the others) and it is stored as ``delivered`` (``stored`` when no channel
  took it), with a ``SystemAlert`` event in the event log so the daily summary counts it.

Sending needs ``Operation.SEND_ALERT``; reading what was sent, ``Operation.READ_TRADING`` (the daily summary's).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from guardrails.policy import Actor, Operation, require
from memory.alerts import AlertRecord, AlertStore
from quant.monitoring.alerts import Alert, Severity
from services.alerts import AlertChannel, AlertDispatcher


def utc_now() -> datetime:
    return datetime.now(UTC)


def fingerprint(severity: str, message: str) -> str:
    """What makes two alerts the same: severity and text, case and spacing ignored."""
    text = re.sub(r"\s+", " ", message).strip().lower()
    return hashlib.sha256(f"{severity}|{text}".encode()).hexdigest()


@dataclass(frozen=True)
class AlertPolicy:
    rate_limit: int = 10
    rate_window: timedelta = timedelta(hours=1)
    dedupe_window: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Any) -> AlertPolicy:
        return cls(settings.alert_rate_limit, timedelta(seconds=settings.alert_rate_window_s),
                   timedelta(seconds=settings.alert_dedupe_window_s))


@dataclass(frozen=True)
class AlertOutcome:
    """``status``: delivered | stored | suppressed | repeat; ``repeats``: times this alert was sent so far."""

    alert_id: int
    status: str
    repeats: int
    outputs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "status": self.status, "repeats": self.repeats,
                "outputs": list(self.outputs)}


@dataclass(frozen=True)
class AlertCounts:
    count: int
    critical: int


class AlertLedger:
    """Send, store and count alerts (the tools' ``AlertSink`` on a database)."""

    def __init__(self, store: AlertStore, channels: Sequence[AlertChannel] = (), policy: AlertPolicy | None = None,
                 clock: Callable[[], datetime] = utc_now, events: Any = None):
        self.store, self.dispatcher, self.policy, self.clock, self.events = \
            store, AlertDispatcher(channels), policy or AlertPolicy(), clock, events

    def send(self, actor: Actor, message: str, severity: str = "warning", *, source: str | None = None,
             thread_id: str | None = None, turn_id: str | None = None) -> AlertOutcome:
        """Store ``message`` as sent by ``actor`` and deliver it unless it is a repeat or over the rate limit
        (``source`` defaults to the actor's channel)."""
        require(actor, Operation.SEND_ALERT)
        now, key = self.clock(), fingerprint(severity, message)
        earlier = self.store.same_burst(key, turn_id=turn_id, since=now - self.policy.dedupe_window)
        if earlier is not None:
            again = self.store.repeat(earlier.id, now)
            return AlertOutcome(again.id, "repeat", again.repeats)
        fields = {"at": now, "severity": severity, "message": message, "fingerprint": key,
                  "source": (source or actor.channel.value)[:32], "user_id": actor.user_id, "user_name": actor.name,
                  "thread_id": thread_id, "turn_id": turn_id}
        if self.store.sent_since(now - self.policy.rate_window) >= self.policy.rate_limit:
            stored = self.store.add(**fields, status="suppressed", outputs=[])
            return AlertOutcome(stored.id, "suppressed", 1)
        delivered = self._deliver(message, severity, key, now)
        went_out = any(d["delivered"] for d in delivered)
        stored = self.store.add(**fields, status="delivered" if went_out else "stored", outputs=delivered)
        self._event(stored)
        return AlertOutcome(stored.id, stored.status, 1, tuple(d["channel"] for d in delivered if d["delivered"]))

    def counts_since(self, actor: Actor, since: datetime) -> AlertCounts:
        """Alerts sent (not suppressed) since ``since``, and how many of them were critical."""
        sent = [a for a in self.recent(actor, since, limit=10_000) if a.status != "suppressed"]
        return AlertCounts(len(sent), sum(a.severity == "critical" for a in sent))

    def recent(self, actor: Actor, since: datetime, limit: int = 200) -> list[AlertRecord]:
        """The alerts stored since ``since``, newest first (suppressed ones included)."""
        require(actor, Operation.READ_TRADING)
        return self.store.since(since, limit)

    def _deliver(self, message: str, severity: str, key: str, now: datetime) -> list[dict[str, Any]]:
        level = Severity(severity) if severity in Severity.__members__.values() else Severity.WARNING
        alert = Alert(key=f"alert:{key[:12]}", title="quantpilot alert", message=message, severity=level, ts=now)
        return [{"channel": r.channel, "delivered": r.delivered, "detail": r.detail}
                for r in self.dispatcher.send(alert)]

    def _event(self, stored: AlertRecord) -> None:
        if self.events is None:
            return
        from quant.monitoring.events import DomainEvent, EventKind, NoticePayload

        self.events.record(DomainEvent(EventKind.SYSTEM_ALERT, NoticePayload(
            stored.message, stored.severity, {"alert_id": stored.id, "source": stored.source}),
            source="alerts", subject=f"alert:{stored.id}", ts=stored.created_at))


def database_alert_ledger(database: Any, settings: Any, channels: Sequence[AlertChannel] = (),
                          clock: Callable[[], datetime] = utc_now) -> AlertLedger:
    """The product's alerts: Postgres, the event log, the channels given."""
    from memory.events import EventLog, EventStore

    return AlertLedger(AlertStore(database), channels, AlertPolicy.from_settings(settings), clock,
                       EventLog(EventStore(database)))
