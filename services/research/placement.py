"""Where one research request runs, the same rule on every interface: admitted as a job (role, request checks,
work budget, per-user job quota, the whole queue's size: ``services.research.jobs``), then

- in a **worker process** with a memory limit, taken in fair order by this process's job runner, when this
  process serves jobs (``serve_jobs``: the API app — REST, OpenAI-compatible, web and Slack chat — and the MCP
  HTTP server): a server never holds a job's arrays, whoever asked, a chat's tool call included;
- in **this process** otherwise (the CLI, MCP over stdio: one person's own process), still admitted and
  recorded as a job row first, so the same quota counts it.

``ResearchPlacement.run`` answers what ``ResearchService`` answers for the same request (a run's public dict,
a Monte Carlo's or an optimisation's result); a job that failed in its worker (over its memory or time limit)
comes back as ``ResearchJobFailed`` carrying the stored reason, never a traceback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from errors import QuantpilotError
from guardrails.policy import Actor
from memory.db import Database
from memory.job_queue import LEASE_CLASS
from memory.runs import RunRecord, RunStore
from services.research.jobs import ResearchJobs
from services.research.worker import WorkerJob, execute

_served: dict[int, Callable[[], ResearchJobs]] = {}  # id(database) -> this process's job runner on it
_served_lock = threading.Lock()


class ResearchJobFailed(QuantpilotError):
    """A research job ended ``failed`` in its worker process; the message is the reason stored with its run."""

    code = "research_job_failed"


def serve_jobs(database: Database, runner: Callable[[], ResearchJobs]) -> None:
    """From now on this process serves research jobs on ``database``: every request placed here runs as a job
    on ``runner()`` (called on first need; it should return the process's one runner)."""
    with _served_lock:
        _served[id(database)] = runner


def stop_serving(database: Database) -> None:
    with _served_lock:
        _served.pop(id(database), None)


def served_jobs(database: Database) -> ResearchJobs | None:
    """This process's job runner on ``database``, or None when this process does not serve jobs."""
    with _served_lock:
        runner = _served.get(id(database))
    return runner() if runner is not None else None


def answer_of(database: Database, record: RunRecord) -> dict[str, Any]:
    """What ``ResearchService`` answers for the finished run ``record`` (by its kind)."""
    from services.research.runs import backtest_costs, public_run

    if record.kind == "montecarlo":
        source = RunStore(database).get(int(record.parent_id)) if record.parent_id else None
        return {"run_id": record.id, "source_run": record.parent_id, **record.summary,
                "source_backtest_config": dict(backtest_costs(source)) if source else {}}
    if record.kind == "optimize":
        return {"run_id": record.id, **record.summary}
    return public_run(record)


class ResearchPlacement:
    """Research requests of any actor on ``database``, placed by the module's rule. ``jobs`` is the runner to
    use (default: the process's, ``served_jobs``; None there: this process)."""

    def __init__(self, database: Database, *, settings: Any = None, artifacts_dir: Path | None = None,
                 jobs: ResearchJobs | None = None):
        self.database = database
        self.jobs = jobs or served_jobs(database)
        self.admission = self.jobs or ResearchJobs(database, settings=settings, artifacts_dir=artifacts_dir)

    @property
    def in_workers(self) -> bool:
        return self.jobs is not None

    def run(self, actor: Actor, kind: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Run ``actor``'s ``kind`` job (``services.research.worker.RUNNERS``) to its end; its answer.
        ``WorkBudgetExceeded``, ``QuotaExceeded`` and request errors before anything runs; ``ResearchJobFailed``
        when the job failed in its worker."""
        if self.jobs is None:
            return self._run_here(actor, kind, request)
        record = self.jobs.wait(self.jobs.submit(actor, kind, request).id)
        if record.status != "done":
            raise ResearchJobFailed(f"research job {record.id} failed: {record.error or 'no reason was stored'}",
                                    details={"run_id": record.id, "kind": kind, "status": record.status})
        return answer_of(self.database, record)

    def _run_here(self, actor: Actor, kind: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Admit and store the job, hold it (no other runner may take it), and run it in this process."""
        from sqlalchemy import text

        jobs = self.admission
        spec = jobs.admissible(actor, kind, request)
        with self.database.engine.connect() as lease:
            with lease.begin():
                run_id = jobs.enqueue(lease, actor, spec)
                # held before the row is visible: another process's runner can never claim it
                lease.execute(text("SELECT pg_advisory_lock(:c, :id)"), {"c": LEASE_CLASS, "id": run_id})
            try:
                claimed = jobs.queue.claim(lease, run_id)
                assert claimed is not None  # we hold its lease; nobody else could move it
                job = WorkerJob(self.database.url, str(jobs.artifacts_dir), run_id, kind, dict(request), actor.name,
                                actor.user_id, jobs.budget, 0)
                try:
                    execute(self.database, job)
                except BaseException as exc:  # noqa: BLE001 - the row records any ending; the error goes on up
                    jobs.queue.fail_if_running(run_id, f"{type(exc).__name__}: {exc}")
                    raise
            finally:
                jobs.queue.release(lease)
        return answer_of(self.database, RunStore(self.database).get(run_id))
