"""Scheduled data collection (seed 000): stored cron jobs and their recorded runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from errors import ConfigError
from memory.db import Database


def _trigger(cron: str):
    from apscheduler.triggers.cron import CronTrigger

    try:
        return CronTrigger.from_crontab(cron, timezone="UTC")
    except ValueError as exc:
        raise ConfigError(f"invalid cron expression {cron!r}: {exc}") from exc


def next_run(cron: str, after: datetime) -> datetime | None:
    """The first fire time of ``cron`` strictly after ``after`` (UTC)."""
    return _trigger(cron).get_next_fire_time(None, after)


class ScheduleStore:
    def __init__(self, database: Database):
        self.database = database

    def add(self, symbols: str | list[str], source: str, cron: str, *, now: datetime | None = None) -> dict:
        from quant.data.providers.registry import PROVIDER_NAMES

        items = symbols.split(",") if isinstance(symbols, str) else symbols
        cleaned = [s.strip().upper() for s in items if s.strip()]
        if not cleaned:
            raise ConfigError("a schedule needs at least one symbol")
        if source not in PROVIDER_NAMES:
            raise ConfigError(f"unknown source {source!r}; known: {", ".join(PROVIDER_NAMES)}")
        upcoming = next_run(cron, now or datetime.now(UTC))
        with self.database.engine.begin() as conn:
            new_id = conn.execute(
                text("INSERT INTO data_schedules (symbols, source, cron) VALUES (CAST(:s AS jsonb), :src, :c)"
                     " RETURNING id"),
                {"s": json.dumps(cleaned), "src": source, "c": cron},
            ).scalar_one()
        return {"id": new_id, "symbols": cleaned, "source": source, "cron": cron,
                "next_run": upcoming.isoformat() if upcoming else None}

    def list(self, *, now: datetime | None = None) -> list[dict]:
        now = now or datetime.now(UTC)
        with self.database.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT s.id, s.symbols, s.source, s.cron, s.enabled, "
                " (SELECT r.ok FROM data_schedule_runs r WHERE r.schedule_id = s.id ORDER BY r.id DESC LIMIT 1),"
                " (SELECT max(r.started_at) FROM data_schedule_runs r WHERE r.schedule_id = s.id)"
                " FROM data_schedules s ORDER BY s.id"
            )).all()
        out = []
        for sid, symbols, source, cron, enabled, ok, last in rows:
            upcoming = next_run(cron, now)
            out.append({"id": sid, "symbols": symbols, "source": source, "cron": cron, "enabled": enabled,
                        "last_run": last, "last_outcome": None if ok is None else ("ok" if ok else "failed"),
                        "next_run": upcoming.isoformat() if upcoming else None})
        return out

    def due(self, now: datetime) -> list[dict]:
        """Enabled schedules whose next fire time after their last run is at or before ``now``."""
        due = []
        for item in self.list(now=now):
            if not item["enabled"]:
                continue
            since = item["last_run"] or self._created_at(item["id"])
            fire = next_run(item["cron"], since)
            if fire is not None and fire <= now:
                due.append(item)
        return due

    def _created_at(self, schedule_id: int) -> datetime:
        with self.database.engine.connect() as conn:
            return conn.execute(text("SELECT created_at FROM data_schedules WHERE id = :i"),
                                {"i": schedule_id}).scalar_one()

    def run_due(self, service, now: datetime | None = None) -> list[dict]:
        """Run every due schedule through ``service.load``; each run is recorded with its outcome."""
        from errors import QuantpilotError

        now = now or datetime.now(UTC)
        outcomes = []
        for item in self.due(now):
            with self.database.engine.begin() as conn:
                run_id = conn.execute(text("INSERT INTO data_schedule_runs (schedule_id, started_at) "
                                           "VALUES (:i, :t) RETURNING id"), {"i": item["id"], "t": now}).scalar_one()
            try:
                report = service.load(item["source"], item["symbols"])
                ok, rows, message = True, report.rows, f"{report.inserted} new, {report.updated} updated"
            except QuantpilotError as exc:
                ok, rows, message = False, 0, str(exc)
            with self.database.engine.begin() as conn:
                conn.execute(text("UPDATE data_schedule_runs SET finished_at = now(), ok = :ok, rows = :r, "
                                  "message = :m WHERE id = :id"),
                             {"ok": ok, "r": rows, "m": message[:2000], "id": run_id})
            outcomes.append({"schedule_id": item["id"], "ok": ok, "rows": rows, "message": message})
        return outcomes
