"""Health checks with I/O: database, checkpointer tables, data freshness in sessions, broker probe."""

from __future__ import annotations

from datetime import date

import pandas as pd

from memory.bars import BarStore
from quant.monitoring.health import HealthStatus
from services.health import check_broker, check_data_freshness, check_database, run_health_checks


def _store_bars(database, symbol: str, last_day: str, n: int = 5) -> None:
    days = pd.bdate_range(end=last_day, periods=n, tz="UTC")
    frame = pd.DataFrame({"symbol": symbol, "ts": days, "open": 10.0, "high": 11.0, "low": 9.5, "close": 10.5,
                          "volume": 1000.0})
    BarStore(database).upsert(frame, "test")


def test_database_check_passes_with_a_latency(database):
    result = check_database(database)
    assert result.ok and result.latency_ms > 0


def test_data_is_fresh_within_the_allowed_sessions_and_stale_beyond(database):
    _store_bars(database, "AAPL", "2024-03-01")  # a Friday

    # Sessions after Fri 2024-03-01: Mon 03-04 (1), Tue 03-05 (2) — counted by hand on the XNYS calendar.
    [monday] = check_data_freshness(database, ["AAPL"], today=date(2024, 3, 4), max_stale_sessions=1)
    [tuesday] = check_data_freshness(database, ["AAPL"], today=date(2024, 3, 5), max_stale_sessions=1)

    assert monday.ok and monday.facts["sessions_behind"] == 1
    assert not tuesday.ok and tuesday.facts["sessions_behind"] == 2 and not tuesday.critical
    assert "stale" in tuesday.detail
    assert "1 session behind" in monday.detail and "2 sessions behind" in tuesday.detail  # read by people


def test_a_weekend_does_not_count_as_staleness(database):
    _store_bars(database, "MSFT", "2024-03-01")
    [sunday] = check_data_freshness(database, ["MSFT"], today=date(2024, 3, 3), max_stale_sessions=0)
    assert sunday.ok and sunday.facts["sessions_behind"] == 0


def test_a_requested_symbol_without_bars_fails(database):
    [result] = check_data_freshness(database, ["NVDA"], today=date(2024, 3, 4))
    assert not result.ok and "NVDA" in result.detail


def test_a_broker_that_raises_makes_the_report_unhealthy(database):
    def probe() -> None:
        raise ConnectionError("broker unreachable")

    assert not check_broker(probe).ok
    report = run_health_checks(database, today=date(2024, 3, 4), broker_probe=probe)
    assert report.status is HealthStatus.UNHEALTHY
    assert "broker" in [c.name for c in report.failing]


def test_checkpointer_tables_are_found_once_the_saver_has_set_them_up(database):
    from memory.checkpoint import postgres_checkpointer
    from services.health import check_checkpointer_tables

    postgres_checkpointer(database)
    assert check_checkpointer_tables(database).ok
