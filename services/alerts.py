"""Alerts to the operators, the same whatever sends them (an agent's ``send_alert``, a service): stored in
Postgres, de-duplicated per burst, rate-limited, then delivered to the configured outputs.

- An alert identical to one of the same turn, or to one sent within ``dedupe_window`` (same severity,
  same text up to case and spacing), is a repeat: its ``repeats`` count goes up and nothing is sent.
- Past ``rate_limit`` alerts in ``rate_window`` the alert is stored as ``suppressed`` and sent nowhere.
- Otherwise it goes to every output (``quant.monitoring.alerts`` channels: Slack, a webhook, the log)
  and is stored as ``delivered`` (``stored`` when no output is configured), with a ``SystemAlert``
  event in the event log so the daily summary counts it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from memory.alerts import AlertRecord, AlertStore
from quant.monitoring.alerts import Alert, AlertChannel, Severity


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


class AlertService:
    """Send, store and count alerts (``__call__`` makes it the tools' alert sink)."""

    def __init__(self, store: AlertStore, channels: Sequence[AlertChannel] = (), policy: AlertPolicy | None = None,
                 clock: Callable[[], datetime] = utc_now, events: Any = None):
        self.store, self.channels, self.policy, self.clock, self.events = \
            store, tuple(channels), policy or AlertPolicy(), clock, events

    def __call__(self, alert: dict[str, Any]) -> dict[str, Any]:
        return self.send(str(alert.get("message", "")), str(alert.get("severity", "warning")),
                         source=str(alert.get("source") or "agent"), user_id=alert.get("user"),
                         thread_id=alert.get("thread_id"), turn_id=alert.get("turn_id")).to_dict()

    def send(self, message: str, severity: str = "warning", *, source: str = "agent", user_id: str | None = None,
             thread_id: str | None = None, turn_id: str | None = None) -> AlertOutcome:
        now, key = self.clock(), fingerprint(severity, message)
        earlier = self.store.same_burst(key, turn_id=turn_id, since=now - self.policy.dedupe_window)
        if earlier is not None:
            again = self.store.repeat(earlier.id, now)
            return AlertOutcome(again.id, "repeat", again.repeats)
        fields = {"at": now, "severity": severity, "message": message, "fingerprint": key, "source": source,
                  "user_id": user_id, "thread_id": thread_id, "turn_id": turn_id}
        if self.store.sent_since(now - self.policy.rate_window) >= self.policy.rate_limit:
            stored = self.store.add(**fields, status="suppressed", outputs=[])
            return AlertOutcome(stored.id, "suppressed", 1)
        delivered = self._deliver(message, severity, key, now)
        went_out = any(d["delivered"] for d in delivered)
        stored = self.store.add(**fields, status="delivered" if went_out else "stored", outputs=delivered)
        self._event(stored)
        return AlertOutcome(stored.id, stored.status, 1, tuple(d["channel"] for d in delivered if d["delivered"]))

    def counts_since(self, since: datetime) -> AlertCounts:
        sent = [a for a in self.store.since(since, limit=10_000) if a.status != "suppressed"]
        return AlertCounts(len(sent), sum(a.severity == "critical" for a in sent))

    def recent(self, since: datetime, limit: int = 200) -> list[AlertRecord]:
        return self.store.since(since, limit)

    def _deliver(self, message: str, severity: str, key: str, now: datetime) -> list[dict[str, Any]]:
        level = Severity(severity) if severity in Severity.__members__.values() else Severity.WARNING
        alert = Alert(key=f"alert:{key[:12]}", title="quantpilot alert", message=message, severity=level, ts=now)
        return [{"channel": r.channel, "delivered": r.delivered, "detail": r.detail}
                for r in (channel.send(alert) for channel in self.channels)]

    def _event(self, stored: AlertRecord) -> None:
        if self.events is None:
            return
        from quant.monitoring.events import DomainEvent, EventKind, NoticePayload

        self.events.record(DomainEvent(EventKind.SYSTEM_ALERT, NoticePayload(
            stored.message, stored.severity, {"alert_id": stored.id, "source": stored.source}),
            source="alerts", subject=f"alert:{stored.id}", ts=stored.created_at))


def database_alerts(database: Any, settings: Any, channels: Sequence[AlertChannel] = (),
                    clock: Callable[[], datetime] = utc_now) -> AlertService:
    """The product's alerts: Postgres, the event log, the outputs given."""
    from memory.events import EventLog, EventStore

    return AlertService(AlertStore(database), channels, AlertPolicy.from_settings(settings), clock,
                        EventLog(EventStore(database)))


def alert_outputs(settings: Any) -> list[AlertChannel]:
    """The configured outputs: the structured log always, Slack when a webhook URL is set."""
    from quant.monitoring.alerts import LogChannel, SlackChannel

    outputs: list[AlertChannel] = [LogChannel()]
    if settings.slack_webhook_url is not None:
        from slack_sdk.webhook import WebhookClient

        outputs.append(SlackChannel(webhook=WebhookClient(settings.slack_webhook_url.get_secret_value())))
    return outputs
