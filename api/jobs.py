"""Research runs as background jobs: the row in ``research_runs`` *is* the job.

``submit`` inserts the run with status ``queued`` and the request in ``config.job`` (so it survives
a restart), then hands its id to a thread pool. A worker claims the row with one conditional
UPDATE (``queued`` → ``running``): of two workers or processes only one wins, so a job never runs
twice. The research service then records into that same row (``ClaimedRunStore``) and sets
``done`` or ``failed``. ``recover()`` re-schedules rows still ``queued`` (accepted before a restart).
Status: queued → running → done | failed.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import text

from errors import ConfigError, QuantpilotError
from guardrails.policy import Actor, Channel, Operation, Role, require
from memory.db import Database
from memory.runs import RunRecord, RunStore
from services.research.service import ResearchService

log = logging.getLogger("quantpilot.api.jobs")
_LEASE = 7_104_202  # advisory-lock class id of research job leases (object id = run id)

# job kind (API word) -> the kind the research service records
RUN_KIND = {"backtest": "backtest", "grid": "grid", "walk_forward": "walkforward", "monte_carlo": "montecarlo"}

Runner = Callable[[ResearchService, Mapping[str, Any], str], dict]


def _backtest(service: ResearchService, r: Mapping[str, Any], by: str) -> dict:
    return service.backtest(r["strategy"], r["symbols"], r.get("params"), r.get("start"), r.get("end"),
                            as_of=r.get("as_of"), engine=r.get("engine", "vectorized"), config=r.get("config"),
                            created_by=by)


def _grid(service: ResearchService, r: Mapping[str, Any], by: str) -> dict:
    return service.grid(r["strategy"], r["symbols"], r["grid"], r.get("start"), r.get("end"), as_of=r.get("as_of"),
                        objective=r.get("objective", "sharpe"), top=r.get("top", 5), config=r.get("config"),
                        created_by=by)


def _walk_forward(service: ResearchService, r: Mapping[str, Any], by: str) -> dict:
    return service.walk_forward(r["strategy"], r["symbols"], r["grid"], r.get("start"), r.get("end"),
                                as_of=r.get("as_of"), window=r.get("window", "rolling"),
                                in_sample_days=r.get("in_sample_days", 252),
                                out_of_sample_days=r.get("out_of_sample_days", 63),
                                objective=r.get("objective", "sharpe"), min_trades=r.get("min_trades", 0),
                                config=r.get("config"), created_by=by)


def _monte_carlo(service: ResearchService, r: Mapping[str, Any], by: str) -> dict:
    return service.monte_carlo(int(r["source_run_id"]), method=r.get("method", "returns"),
                               n_paths=r.get("n_paths", 10_000), seed=r.get("seed", 0), created_by=by)


RUNNERS: dict[str, Runner] = {"backtest": _backtest, "grid": _grid, "walk_forward": _walk_forward,
                              "monte_carlo": _monte_carlo}


def _json(value: Any) -> str:
    return json.dumps(value, default=str, allow_nan=False)


class ClaimedRunStore(RunStore):
    """A ``RunStore`` whose first ``create`` fills the claimed job row instead of inserting a new one."""

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


class ResearchJobs:
    """Queue research runs in Postgres and run them on ``workers`` threads of this process."""

    def __init__(self, database: Database, *, workers: int = 2, artifacts_dir: Path | None = None):
        self.database = database
        self.runs = RunStore(database)
        self.artifacts_dir = artifacts_dir
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="research-job")
        self._futures: dict[int, Future] = {}
        self.claimed: list[int] = []  # ids of the jobs this runner claimed (and so ran), in order
        self._lock = threading.Lock()

    def submit(self, actor: Actor, kind: str, request: Mapping[str, Any], *, run_now: bool = True) -> RunRecord:
        """Store the job (status ``queued``) asked by ``actor`` (a trader, by the policy table) and schedule it here
        unless ``run_now`` is False (then any runner's ``recover`` picks it up); returns the stored row."""
        require(actor, Operation.RUN_RESEARCH)
        created_by = actor.name
        if kind not in RUNNERS:
            raise ConfigError(f"unknown job kind {kind!r}; one of {sorted(RUNNERS)}")
        with self.database.engine.begin() as conn:
            run_id = conn.execute(text(
                "INSERT INTO research_runs (kind, status, strategy, symbols, config, created_by) VALUES"
                " (:kind, 'queued', :strategy, CAST(:symbols AS jsonb), CAST(:config AS jsonb), :by) RETURNING id"),
                {"kind": RUN_KIND[kind], "strategy": request.get("strategy"),
                 "symbols": _json(list(request.get("symbols") or [])),
                 "config": _json({"job": {"kind": kind, "request": dict(request)}}), "by": created_by},
            ).scalar_one()
        if run_now:
            self._schedule(run_id)
        return self.runs.get(run_id)

    def recover(self) -> list[int]:
        """Schedule every job still ``queued`` (accepted before a restart), and every ``running`` job whose
        runner died (nobody holds its lease: a session advisory lock that dies with its connection);
        returns their ids."""
        with self.database.engine.connect() as conn:
            running = conn.execute(text("SELECT id FROM research_runs WHERE status = 'running'")).scalars().all()
            for run_id in running:
                if conn.execute(text("SELECT pg_try_advisory_lock(:c, :id)"), {"c": _LEASE, "id": run_id}).scalar():
                    conn.execute(text("UPDATE research_runs SET status = 'queued' WHERE id = :id"
                                      " AND status = 'running'"), {"id": run_id})
                    conn.commit()
                    conn.execute(text("SELECT pg_advisory_unlock(:c, :id)"), {"c": _LEASE, "id": run_id})
            conn.commit()
            ids = list(conn.execute(text("SELECT id FROM research_runs WHERE status = 'queued' ORDER BY id")).scalars())
        for run_id in ids:
            self._schedule(run_id)
        return ids

    def wait(self, run_id: int, timeout_s: float | None = None) -> RunRecord:
        """Block until this process's job ``run_id`` ends (if it runs here); returns the stored row."""
        with self._lock:
            future = self._futures.get(run_id)
        if future is not None:
            future.result(timeout=timeout_s)
        return self.runs.get(run_id)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=False)

    def _schedule(self, run_id: int) -> None:
        with self._lock:
            if run_id in self._futures and not self._futures[run_id].done():
                return
            future = self._pool.submit(self._run, run_id)
            self._futures[run_id] = future
        future.add_done_callback(lambda _f, key=run_id: self._forget(key))

    def _forget(self, run_id: int) -> None:
        with self._lock:
            future = self._futures.get(run_id)
            if future is not None and future.done():
                del self._futures[run_id]

    def _claim(self, run_id: int, lease) -> dict[str, Any] | None:
        """``queued`` → ``running`` for exactly one caller, under its lease (held on ``lease``, a connection kept
        open for the whole run); the job's spec, or None if someone else has it."""
        if not lease.execute(text("SELECT pg_try_advisory_lock(:c, :id)"), {"c": _LEASE, "id": run_id}).scalar():
            lease.commit()
            return None
        row = lease.execute(text("UPDATE research_runs SET status = 'running' WHERE id = :id AND status = 'queued'"
                                 " RETURNING config, created_by"), {"id": run_id}).first()
        lease.commit()
        if row is None:
            return None
        return {**row.config["job"], "created_by": row.created_by}

    def _run(self, run_id: int) -> None:
        with self.database.engine.connect() as lease:  # the process dying drops the connection and the lease
            job = self._claim(run_id, lease)
            try:
                if job is not None:
                    self._execute(run_id, job)
            finally:  # the pooled connection outlives this run: give the lease back explicitly
                lease.execute(text("SELECT pg_advisory_unlock_all()"))
                lease.commit()

    def _execute(self, run_id: int, job: dict[str, Any]) -> None:
        with self._lock:
            self.claimed.append(run_id)
        # the job was authorised when it was accepted; it runs in its asker's name
        asker = Actor(None, job["created_by"], Role.TRADER, Channel.API)
        service = ResearchService(self.database, self.artifacts_dir, actor=asker)
        service.runs = ClaimedRunStore(self.database, run_id)
        try:
            RUNNERS[job["kind"]](service, job["request"], job["created_by"])
        except Exception as exc:  # noqa: BLE001 - a job's failure is stored on its row, whatever it was
            if not isinstance(exc, QuantpilotError):
                log.exception("research job %s failed", run_id)
            if self.runs.get(run_id).status == "running":
                self.runs.fail(run_id, f"{type(exc).__name__}: {exc}")


def get_research_jobs(request: Request) -> ResearchJobs:
    """The app's job runner, created on first use (then it re-schedules jobs left queued)."""
    state = request.app.state
    jobs = getattr(state, "research_jobs", None)
    if jobs is None:
        with _create_lock:
            jobs = getattr(state, "research_jobs", None)
            if jobs is None:
                jobs = state.research_jobs = ResearchJobs(state.database)
                jobs.recover()
    return jobs


_create_lock = threading.Lock()


ResearchJobsDep = Annotated[ResearchJobs, Depends(get_research_jobs)]
