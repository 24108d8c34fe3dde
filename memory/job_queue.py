"""The research job queue in ``research_runs``: a job is a run row with status ``queued`` → ``running`` →
``done | failed``, its request in ``config.job``.

A runner claims a job with one conditional UPDATE under a lease (a session advisory lock held on a
connection for the whole run, so it dies with the runner's process): of two runners only one wins, and a
job never runs twice. ``next_candidates`` orders queued jobs fairly: first the jobs of users with the fewest
jobs running, then of the user served longest ago (never served first), then oldest first — so one user's
long queue never holds another user's job back by more than the job already running.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from memory.db import Database
from memory.runs import RunStore

LEASE_CLASS = 7_104_202  # advisory-lock class id of research job leases (object id = run id)
ADMISSION_CLASS = 7_104_203  # advisory-lock class id serialising one user's admissions (object id = user key)

_OWNER = "coalesce(user_id::text, created_by)"
_FAIR_ORDER = text(f"""
WITH owners AS (
    SELECT {_OWNER} AS owner, count(*) FILTER (WHERE status = 'running') AS running, max(started_at) AS served
    FROM research_runs WHERE started_at IS NOT NULL OR status = 'queued' GROUP BY 1)
SELECT q.id FROM research_runs q JOIN owners o ON o.owner = coalesce(q.user_id::text, q.created_by)
WHERE q.status = 'queued'
ORDER BY o.running, o.served NULLS FIRST, q.id
LIMIT :n
""")


def _json(value: Any) -> str:
    return json.dumps(value, default=str, allow_nan=False)


@dataclass(frozen=True)
class ClaimedJob:
    """A job a runner now holds: its run id, its spec (``kind``, ``request``…) and who asked."""

    run_id: int
    spec: dict[str, Any]
    created_by: str
    user_id: int | None


@dataclass(frozen=True)
class QueueLoad:
    """What is waiting or running: for one user, and queued for everyone."""

    user_active: int
    queued: int


class JobQueue:
    """Research jobs as rows of ``research_runs`` (see the module docstring)."""

    def __init__(self, database: Database):
        self.database = database

    def enqueue(self, conn: Connection, recorded_kind: str, spec: dict[str, Any], *, strategy: str | None,
                symbols: list[str], created_by: str, user_id: int | None) -> int:
        """Insert a queued job on ``conn`` (the caller's transaction); its run id."""
        return conn.execute(text(
            "INSERT INTO research_runs (kind, status, strategy, symbols, config, created_by, user_id) VALUES"
            " (:kind, 'queued', :strategy, CAST(:symbols AS jsonb), CAST(:config AS jsonb), :by, :uid) RETURNING id"),
            {"kind": recorded_kind, "strategy": strategy, "symbols": _json(symbols),
             "config": _json({"job": spec}), "by": created_by, "uid": user_id}).scalar_one()

    @staticmethod
    def lock_admissions(conn: Connection, owner: str) -> None:
        """Serialise admissions of ``owner`` until ``conn``'s transaction ends (a quota counts exactly)."""
        conn.execute(text("SELECT pg_advisory_xact_lock(:c, hashtext(:o))"), {"c": ADMISSION_CLASS, "o": owner})

    @staticmethod
    def load(conn: Connection, user_id: int | None, name: str) -> QueueLoad:
        row = conn.execute(text(
            f"SELECT count(*) FILTER (WHERE {_OWNER} = :owner), count(*) FILTER (WHERE status = 'queued')"
            " FROM research_runs WHERE status IN ('queued', 'running')"),
            {"owner": str(user_id) if user_id is not None else name}).one()
        return QueueLoad(int(row[0]), int(row[1]))

    def typical_seconds(self, default_s: float = 30.0) -> float:
        """The mean run time of the last 20 finished jobs (``default_s`` before there are any)."""
        with self.database.engine.connect() as conn:
            mean = conn.execute(text(
                "SELECT avg(extract(epoch FROM finished_at - started_at)) FROM (SELECT started_at, finished_at"
                " FROM research_runs WHERE started_at IS NOT NULL AND finished_at IS NOT NULL"
                " ORDER BY id DESC LIMIT 20) recent")).scalar()
        return float(mean) if mean is not None else default_s

    def next_candidates(self, limit: int = 8) -> list[int]:
        """Queued run ids in fair order (module docstring)."""
        with self.database.engine.connect() as conn:
            return list(conn.execute(_FAIR_ORDER, {"n": limit}).scalars())

    def queued_ids(self) -> list[int]:
        with self.database.engine.connect() as conn:
            return list(conn.execute(text("SELECT id FROM research_runs WHERE status = 'queued' ORDER BY id"))
                        .scalars())

    @staticmethod
    def claim(lease: Connection, run_id: int) -> ClaimedJob | None:
        """``queued`` → ``running`` for exactly one caller, under its lease (held on ``lease``, a connection kept
        open for the whole run); None if someone else has it."""
        if not lease.execute(text("SELECT pg_try_advisory_lock(:c, :id)"), {"c": LEASE_CLASS, "id": run_id}).scalar():
            lease.commit()
            return None
        row = lease.execute(text(
            "UPDATE research_runs SET status = 'running', started_at = now() WHERE id = :id AND status = 'queued'"
            " RETURNING config, created_by, user_id"), {"id": run_id}).first()
        lease.commit()
        if row is None:
            lease.execute(text("SELECT pg_advisory_unlock(:c, :id)"), {"c": LEASE_CLASS, "id": run_id})
            lease.commit()
            return None
        return ClaimedJob(run_id, dict(row.config["job"]), row.created_by, row.user_id)

    @staticmethod
    def release(lease: Connection) -> None:
        """Give back every lease held on ``lease`` (a pooled connection outlives the run)."""
        lease.execute(text("SELECT pg_advisory_unlock_all()"))
        lease.commit()

    def requeue_orphans(self) -> list[int]:
        """Every ``running`` job whose runner died (nobody holds its lease) goes back to ``queued``; their ids."""
        moved = []
        with self.database.engine.connect() as conn:
            running = conn.execute(text("SELECT id FROM research_runs WHERE status = 'running'")).scalars().all()
            for run_id in running:
                lock = {"c": LEASE_CLASS, "id": run_id}
                if conn.execute(text("SELECT pg_try_advisory_lock(:c, :id)"), lock).scalar():
                    if conn.execute(text("UPDATE research_runs SET status = 'queued' WHERE id = :id"
                                         " AND status = 'running' RETURNING id"), {"id": run_id}).first():
                        moved.append(run_id)
                    conn.commit()
                    conn.execute(text("SELECT pg_advisory_unlock(:c, :id)"), lock)
            conn.commit()
        return moved

    def status(self, run_id: int) -> str | None:
        with self.database.engine.connect() as conn:
            return conn.execute(text("SELECT status FROM research_runs WHERE id = :id"), {"id": run_id}).scalar()

    def fail_if_running(self, run_id: int, reason: str) -> bool:
        """Mark a job still ``running`` as ``failed`` with ``reason``; whether it was."""
        with self.database.engine.begin() as conn:
            return conn.execute(text(
                "UPDATE research_runs SET status = 'failed', error = :e, finished_at = now()"
                " WHERE id = :id AND status = 'running' RETURNING id"), {"e": reason[:4000], "id": run_id}
            ).first() is not None


class ClaimedRunStore(RunStore):
    """A ``RunStore`` whose first ``create`` fills the claimed job row instead of inserting a new one (the
    research service records into the job's own row)."""

    def __init__(self, database: Database, run_id: int):
        super().__init__(database)
        self._claimed: int | None = run_id

    def create(self, kind: str, *, strategy: str | None = None, symbols: list[str] | None = None,
               params: dict | None = None, config: dict | None = None, config_hash: str | None = None,
               data_hash: str | None = None, code_version: str | None = None, parent_id: int | None = None,
               created_by: str = "system") -> int:
        if self._claimed is None:
            return super().create(kind, strategy=strategy, symbols=symbols, params=params, config=config,
                                  config_hash=config_hash, data_hash=data_hash, code_version=code_version,
                                  parent_id=parent_id, created_by=created_by)
        run_id, self._claimed = self._claimed, None
        with self.database.engine.begin() as conn:
            conn.execute(text(
                "UPDATE research_runs SET kind = :kind, strategy = :strategy, symbols = CAST(:symbols AS jsonb),"
                " params = CAST(:params AS jsonb), config = CAST(:config AS jsonb), config_hash = :ch,"
                " data_hash = :dh, code_version = :cv, parent_id = :parent, created_by = :by WHERE id = :id"),
                {"kind": kind, "strategy": strategy, "symbols": _json(symbols or []), "params": _json(params or {}),
                 "config": _json(config or {}), "ch": config_hash, "dh": data_hash, "cv": code_version,
                 "parent": parent_id, "by": created_by, "id": run_id})
        return run_id
