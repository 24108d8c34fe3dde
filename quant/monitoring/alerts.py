"""Alerts as values: ``Alert`` (what a person should look at, with a severity) and the deduplicator that
lets a condition alert once per occurrence, not every tick. The channels that deliver alerts (log,
webhook, Slack) and the dispatcher are in ``services.alerts``: they write, so they redact.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Alert:
    """Something a person should look at. ``key`` names the condition (``staleness:AAPL``,
    ``breaker:daily_loss``): alerts with the same key are the same condition for deduplication."""

    key: str
    title: str
    message: str
    severity: Severity = Severity.WARNING
    details: Mapping[str, Any] = field(default_factory=dict)
    ts: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as given: the channels that write an alert (``services.alerts``) redact it."""
        return {"key": self.key, "title": self.title, "message": self.message,
                "severity": Severity(self.severity).value, "details": dict(self.details),
                "ts": self.ts.isoformat() if self.ts else None}

    def text(self) -> str:
        """One line: ``[WARNING] title: message`` (as given, like ``to_dict``)."""
        return f"[{Severity(self.severity).value.upper()}] {self.title}: {self.message}"


class DedupDecision(StrEnum):
    FIRE = "fire"  # the condition just started: alert
    SUPPRESS = "suppress"  # still the same condition: stay quiet
    RESOLVED = "resolved"  # the condition just cleared
    QUIET = "quiet"  # nothing was wrong, nothing is


class AlertDeduplicator:
    """Remembers which conditions are active, so each alerts once per occurrence (thread-safe).

    State is per process: after a restart an ongoing condition alerts once more, which is the
    safe side.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: set[str] = set()

    def observe(self, key: str, active: bool) -> DedupDecision:
        with self._lock:
            if active:
                if key in self._active:
                    return DedupDecision.SUPPRESS
                self._active.add(key)
                return DedupDecision.FIRE
            if key in self._active:
                self._active.discard(key)
                return DedupDecision.RESOLVED
            return DedupDecision.QUIET

    def active_keys(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._active)
