"""Scheduled data collection (seed 000) run for real: due schedules load through the market-data service,
one process at a time, and the API server's daemon thread ticks them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from guardrails.policy import Actor
from memory.db import Database
from memory.schedules import ScheduleStore
from services.market_data import MarketDataService

_SCHEDULER_LOCK = 7_104_202_620  # advisory lock: one process runs due schedules at a time


def run_due_schedules(database: Database, now: datetime | None = None) -> list[dict] | None:
    """Run due schedules unless another process is doing it right now (then None)."""
    with database.engine.connect() as conn:
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _SCHEDULER_LOCK}).scalar():
            return None
        try:
            return ScheduleStore(database).run_due(MarketDataService(database, actor=Actor.system("schedule")), now)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _SCHEDULER_LOCK})


class ScheduleRunner:
    """A daemon thread that runs due schedules every ``interval_s`` seconds (the API server starts one)."""

    def __init__(self, database: Database, interval_s: float = 60.0):
        import threading

        self.database, self.interval_s = database, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="quantpilot-schedules", daemon=True)

    def start(self) -> ScheduleRunner:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        import logging

        while not self._stop.wait(self.interval_s):
            try:
                run_due_schedules(self.database)
            except Exception:  # noqa: BLE001 - a failed tick is logged; the next tick tries again
                logging.getLogger(__name__).exception("scheduled data collection failed")
