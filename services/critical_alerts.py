"""A critical alert: when a safety action did not do what it was asked (a close the kill switch could not make).

The one place such an alert is raised: it is recorded as a ``SystemAlert`` domain event of severity critical
(the daily summary and the web Overview list it) and sent through the alert channels of ``services.alerts``
(the log always; Slack when ``QUANTPILOT_SLACK_WEBHOOK_URL`` is set).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from config import Settings
from memory.events import EventLog
from quant.monitoring.alerts import Alert, Severity
from quant.monitoring.events import DomainEvent, EventKind, NoticePayload
from services.alerts import AlertChannel, AlertDispatcher, DeliveryResult, LogChannel


def alert_channels(settings: Settings) -> list[AlertChannel]:
    """The log on stderr (stdout stays the command's own output, ``--json`` included), and Slack when configured."""
    import structlog

    channels: list[AlertChannel] = [LogChannel(structlog.wrap_logger(structlog.PrintLogger(sys.stderr)))]
    if settings.slack_webhook_url is not None and settings.slack_webhook_url.get_secret_value():
        from slack_sdk.webhook import WebhookClient

        from services.alerts import SlackChannel

        channels.append(SlackChannel(webhook=WebhookClient(settings.slack_webhook_url.get_secret_value())))
    return channels


def raise_critical(events: EventLog, settings: Settings, *, key: str, title: str, message: str,
                   details: dict[str, Any], source: str, ts: datetime) -> list[DeliveryResult]:
    """Record and send one critical alert; returns what each channel said (a channel never raises)."""
    events.record(DomainEvent(kind=EventKind.SYSTEM_ALERT, payload=NoticePayload(f"{title}: {message}", "critical",
                                                                                  details),
                              source=source[:64] or "system", ts=ts))
    alert = Alert(key=key, title=title, message=message, severity=Severity.CRITICAL, details=details, ts=ts)
    return AlertDispatcher(alert_channels(settings)).send(alert)
