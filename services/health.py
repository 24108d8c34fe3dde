"""Health checks that need I/O: the database, the LangGraph checkpointer tables, data freshness
per symbol, and the broker (through a probe passed in). Results are ``quant.monitoring.health``
values; nothing here raises for an unhealthy dependency.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import text

from memory.db import Database
from quant.data.calendar import sessions_between
from quant.data.schema import DAILY
from quant.display import counted
from quant.monitoring.health import CheckResult, HealthReport, health_report, run_check

CHECKPOINTER_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations")


def check_database(database: Database) -> CheckResult:
    """``select 1`` round trip; latency in ms."""
    def probe() -> str:
        with database.engine.connect() as conn:
            conn.execute(text("select 1")).scalar_one()
        return f"{database.origin} server reachable"

    return run_check("database", probe)


def check_checkpointer_tables(database: Database) -> CheckResult:
    """The LangGraph Postgres checkpointer's tables exist (approvals survive restarts only then)."""
    def probe() -> str:
        with database.engine.connect() as conn:
            missing = [t for t in CHECKPOINTER_TABLES
                       if conn.execute(text("SELECT to_regclass(:t)"), {"t": f"public.{t}"}).scalar() is None]
        if missing:
            raise LookupError(f"missing tables {', '.join(missing)} (start the graph once to create them)")
        return f"{len(CHECKPOINTER_TABLES)} tables present"

    return run_check("checkpointer", probe)


def check_data_freshness(
    database: Database,
    symbols: Iterable[str] | None = None,
    *,
    today: date,
    max_stale_sessions: int = 1,
    timeframe: str = DAILY,
    calendar: str = "XNYS",
) -> list[CheckResult]:
    """One non-critical check per symbol: sessions since its last bar (up to ``today``) at most
    ``max_stale_sessions``. ``symbols=None`` checks every symbol stored; a requested symbol
    without bars fails."""
    started = time.perf_counter()
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT symbol, max(ts) FROM bars WHERE timeframe = :tf GROUP BY symbol"),
                            {"tf": timeframe}).all()
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    last = {symbol: ts for symbol, ts in rows}
    wanted = sorted(last) if symbols is None else [s.upper() for s in symbols]
    results = []
    for symbol in wanted:
        name = f"data:{symbol}"
        ts = last.get(symbol)
        if ts is None:
            results.append(CheckResult(name, False, f"no {timeframe} bars stored for {symbol}", elapsed_ms,
                                       critical=False, facts={"symbol": symbol, "last_bar": None}))
            continue
        behind = sessions_between(ts, today, calendar)
        ok = behind <= max_stale_sessions
        detail = (f"last bar {ts.date().isoformat()}, {counted(behind, 'session')} behind {today.isoformat()}"
                  + ("" if ok else f" (stale: more than {max_stale_sessions})"))
        results.append(CheckResult(name, ok, detail, elapsed_ms, critical=False,
                                   facts={"symbol": symbol, "last_bar": ts.date().isoformat(),
                                          "sessions_behind": behind, "max_stale_sessions": max_stale_sessions}))
    return results


def check_broker(probe: Callable[[], object], name: str = "broker") -> CheckResult:
    """Calls ``probe`` (e.g. ``broker.get_account``); healthy when it returns, failing when it raises."""
    def run() -> str:
        probe()
        return f"{name} answered"

    return run_check(name, run)


def run_health_checks(
    database: Database,
    *,
    today: date,
    broker_probe: Callable[[], object] | None = None,
    symbols: Iterable[str] | None = None,
    max_stale_sessions: int = 1,
) -> HealthReport:
    """Database, checkpointer, broker (when a probe is given) and data freshness, rolled up."""
    checks = [check_database(database)]
    if checks[0].ok:
        checks.append(check_checkpointer_tables(database))
        checks += check_data_freshness(database, symbols, today=today, max_stale_sessions=max_stale_sessions)
    if broker_probe is not None:
        checks.append(check_broker(broker_probe))
    return health_report(checks)


def system_health(database: Database, *, today: date, broker=None,
                  max_stale_sessions: int | None = None) -> HealthReport:
    """The one health verdict every interface shows (the web Health page, the chat's health answer and daily
    summary, the API): the database, the checkpointer tables, the broker (when one is given) and every stored
    symbol's freshness, stale after ``max_stale_sessions`` sessions (default: the ``stale_after_days`` setting)."""
    if max_stale_sessions is None:
        from config import get_settings

        max_stale_sessions = get_settings().stale_after_days
    probe = broker.get_account if broker is not None else None
    return run_health_checks(database, today=today, broker_probe=probe, max_stale_sessions=max_stale_sessions)


def service_checks(report: HealthReport) -> dict[str, dict[str, object]]:
    """The report grouped by service for a short answer: ``database`` (with the checkpointer), ``broker`` and
    ``data`` (every symbol's freshness in one line), each healthy or not with a detail."""
    groups: dict[str, list[CheckResult]] = {}
    for check in report.checks:
        service = "data" if check.name.startswith("data:") else "database" if check.name == "checkpointer" \
            else check.name
        groups.setdefault(service, []).append(check)
    out: dict[str, dict[str, object]] = {}
    for service, checks in groups.items():
        failing = [c for c in checks if not c.ok]
        if service == "data":
            detail = f"{len(checks)} symbols stored" + (f"; {len(failing)} stale, e.g. {failing[0].detail}"
                                                         if failing else ", all fresh")
        else:
            detail = "; ".join(c.detail for c in (failing or checks))
        out[service] = {"healthy": not failing, "detail": detail,
                        "latency_ms": round(max(c.latency_ms for c in checks), 2)}
    return out
