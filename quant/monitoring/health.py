"""Health-check results and their roll-up; the checks that need I/O live in ``services.health``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class HealthStatus(StrEnum):
    HEALTHY = "healthy"  # every check passed
    DEGRADED = "degraded"  # only non-critical checks failed (e.g. one stale symbol)
    UNHEALTHY = "unhealthy"  # a critical check failed (database, broker)


@dataclass(frozen=True)
class CheckResult:
    """One check: passed or not, a short human detail, how long it took (ms), and its facts
    (observed values and thresholds, for machines). ``critical`` checks make the whole report unhealthy."""

    name: str
    ok: bool
    detail: str
    latency_ms: float
    critical: bool = True
    facts: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "latency_ms": round(self.latency_ms, 3),
                "critical": self.critical, "facts": dict(self.facts)}


@dataclass(frozen=True)
class HealthReport:
    checks: tuple[CheckResult, ...]

    @property
    def status(self) -> HealthStatus:
        if any(not c.ok and c.critical for c in self.checks):
            return HealthStatus.UNHEALTHY
        if any(not c.ok for c in self.checks):
            return HealthStatus.DEGRADED
        return HealthStatus.HEALTHY

    @property
    def failing(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "checks": [c.to_dict() for c in self.checks]}


def health_report(checks: Iterable[CheckResult]) -> HealthReport:
    return HealthReport(tuple(checks))


def run_check(name: str, probe: Callable[[], str | None], *, critical: bool = True) -> CheckResult:
    """Run ``probe`` (returns a detail string, raises on failure) and time it in milliseconds.

    Any exception is a failed check whose detail names the exception: a health check reports,
    it never raises.
    """
    started = time.perf_counter()
    try:
        detail = probe() or "ok"
        ok = True
    except Exception as exc:  # noqa: BLE001 - a health check turns any failure into a result
        detail, ok = f"{type(exc).__name__}: {str(exc)[:200]}", False
    return CheckResult(name, ok, detail, (time.perf_counter() - started) * 1000.0, critical)
