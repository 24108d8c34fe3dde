"""Research as background jobs: sized, admitted per user, queued fairly in Postgres, each run in a worker
process with a memory limit.

``submit`` checks the asker's role, sizes the request against the work budget (``services.research.budget``:
refused before anything is stored), admits it under the per-user and whole-queue quotas (``QuotaExceeded``:
API 429 with ``Retry-After``) and stores the run with status ``queued`` (the row *is* the job, so it survives
a restart). ``workers`` slot threads take jobs in fair order (``memory.job_queue``) and run each in its own
worker process (``services.research.worker``): a job over its memory limit, or past its time limit, ends
``failed`` with the reason stored, and this process — the API — never holds a job's arrays.
Status: queued → running → done | failed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from errors import ConfigError, QuotaExceeded
from guardrails.policy import Actor, Operation, require
from memory.db import Database
from memory.job_queue import ClaimedJob, JobQueue
from memory.runs import RunRecord, RunStore
from services.research.budget import WorkBudget, WorkSizer
from services.research.requests import check_request
from services.research.worker import EXIT_MEMORY, RUN_KIND, RUNNERS, WorkerJob, memory_limit_message, run_job_process

log = logging.getLogger("quantpilot.research.jobs")
IDLE_POLL_S = 1.0  # how often an idle slot looks for jobs queued by other processes
# imported once by the fork server, so each job's process starts without importing them again
_PRELOAD = ["numpy", "pandas", "sqlalchemy", "psycopg", "services.research.worker", "services.research.search",
            "services.research.analysis", "quant.backtest.grid", "quant.backtest.walkforward"]


def _worker_context() -> Any:
    # Arrow's default allocator (mimalloc) reserves ~1 GiB of address space up front, which a job's memory limit
    # (RLIMIT_AS) counts: a small parquet write took a worker's peak from ~0.5 to ~1.5 GiB. The system allocator
    # reserves nothing ahead; set before the fork server starts, so it and every job inherit it.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)  # no effect once a fork server runs; jobs then import on start
    return context


class ResearchJobs:
    """Queue research runs in Postgres; run them on ``workers`` slots of this process, each job in a worker
    process. Settings (limits, quotas) come from ``settings`` (default: ``config.get_settings()``)."""

    def __init__(self, database: Database, *, workers: int | None = None, artifacts_dir: Path | None = None,
                 settings: Any = None):
        if settings is None:
            from config import get_settings

            settings = get_settings()
        self.database = database
        self.settings = settings
        self.runs = RunStore(database)
        self.queue = JobQueue(database)
        self.budget = WorkBudget.from_settings(settings)
        self.artifacts_dir = artifacts_dir or settings.artifacts_dir
        self.workers = workers or settings.research_job_workers
        self.claimed: list[int] = []  # ids of the jobs this runner claimed (and so ran), in order
        self.worker_pids: dict[int, int] = {}  # run id -> the id of the worker process that ran it
        self._wake = threading.Condition()
        self._stopping = self._draining = False
        self._slots: list[threading.Thread] = []
        self._children: dict[int, Any] = {}  # run id -> its worker process

    # ------------------------------------------------------------------ asking
    def submit(self, actor: Actor, kind: str, request: Mapping[str, Any], *, run_now: bool = True) -> RunRecord:
        """Store the job asked by ``actor`` (a trader, by the policy table) as ``queued`` and wake a slot here
        unless ``run_now`` is False (then any runner's ``recover`` picks it up); returns the stored row.
        ``WorkBudgetExceeded`` (too large) and ``QuotaExceeded`` (too many) before anything is stored."""
        spec = self.admissible(actor, kind, request)
        with self.database.engine.begin() as conn:
            run_id = self.enqueue(conn, actor, spec)
        if run_now:
            self._start()
        return self.runs.get(run_id)

    def admissible(self, actor: Actor, kind: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """The job's spec once ``actor`` may ask for it, its request is well formed
        (``services.research.requests``) and it fits the work budget; raises otherwise, before anything is
        stored."""
        require(actor, Operation.RUN_RESEARCH)
        if kind not in RUNNERS:
            raise ConfigError(f"unknown job kind {kind!r}; one of {sorted(RUNNERS)}")
        check_request(self.database, kind, request)
        estimate = WorkSizer(self.database, self.budget).request(kind, request)
        return {"kind": kind, "request": dict(request), "estimate": estimate.to_dict()}

    def enqueue(self, conn: Connection, actor: Actor, spec: Mapping[str, Any]) -> int:
        """Admit ``actor``'s job under the quotas (``QuotaExceeded``) and store it queued on ``conn`` (the caller's
        transaction); its run id."""
        request = spec["request"]
        owner = str(actor.user_id) if actor.user_id is not None else actor.name
        self.queue.lock_admissions(conn, owner)
        self._admit(self.queue.load(conn, actor.user_id, actor.name), actor)
        return self.queue.enqueue(conn, RUN_KIND[spec["kind"]], dict(spec), strategy=request.get("strategy"),
                                  symbols=list(request.get("symbols") or []), created_by=actor.name,
                                  user_id=actor.user_id)

    def _admit(self, load, actor: Actor) -> None:
        retry = max(1, round(self.queue.typical_seconds()))
        if load.user_active >= self.settings.jobs_per_user:
            raise QuotaExceeded(
                f"{actor.name} has {load.user_active} research jobs queued or running, the most one user may have "
                f"(QUANTPILOT_JOBS_PER_USER={self.settings.jobs_per_user}); retry in about {retry} s, when one ends",
                retry_after_s=retry, code="job_quota_exceeded",
                details={"active": load.user_active, "limit": self.settings.jobs_per_user})
        if load.queued >= self.settings.job_queue_size:
            wait = max(retry, round(retry * load.queued / max(self.workers, 1)))
            raise QuotaExceeded(
                f"the research queue is full ({load.queued} jobs waiting, QUANTPILOT_JOB_QUEUE_SIZE="
                f"{self.settings.job_queue_size}); retry in about {wait} s",
                retry_after_s=wait, code="job_queue_full",
                details={"queued": load.queued, "limit": self.settings.job_queue_size})

    def recover(self) -> list[int]:
        """Put back in the queue every ``running`` job whose runner died (its lease died with it), start this
        runner's slots, and return the ids of every job now waiting (accepted before a restart included)."""
        self.queue.requeue_orphans()
        ids = self.queue.queued_ids()
        self._start()
        return ids

    def wait(self, run_id: int, timeout_s: float | None = None) -> RunRecord:
        """Block until job ``run_id`` ends, if this runner runs jobs (else at once); returns the stored row."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while self._slots and self.queue.status(run_id) in ("queued", "running"):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"research job {run_id} still runs after {timeout_s} s")
            time.sleep(0.05)
        return self.runs.get(run_id)

    def shutdown(self, wait: bool = True) -> None:
        """Stop. ``wait``: first run every job still queued that this runner can take (nothing it was asked to
        run is left behind); otherwise end the running jobs' worker processes at once (their jobs go back to
        the queue at the next start, since their leases end with them)."""
        with self._wake:
            self._stopping, self._draining = True, wait
            self._wake.notify_all()
        if not wait:
            for child in list(self._children.values()):
                child.kill()
        for slot in self._slots:
            slot.join()

    # ----------------------------------------------------------------- running
    def _start(self) -> None:
        with self._wake:
            if not self._slots and not self._stopping:
                self._slots = [threading.Thread(target=self._slot, name=f"research-slot-{i}", daemon=True)
                               for i in range(self.workers)]
                for slot in self._slots:
                    slot.start()
            self._wake.notify_all()

    def _slot(self) -> None:
        while not (self._stopping and not self._draining):
            try:
                ran = self._run_next()
            except Exception:  # noqa: BLE001 - a slot must outlive a database hiccup; it tries again
                log.exception("research job slot failed; retrying")
                ran = False
            if not ran:
                with self._wake:
                    if self._stopping:  # drained: nothing left this runner can take
                        return
                    self._wake.wait(IDLE_POLL_S)

    def _run_next(self) -> bool:
        """Claim the fairest queued job and run it to its end; False when there was none to take."""
        for run_id in self.queue.next_candidates():
            with self.database.engine.connect() as lease:  # this process dying drops the connection and the lease
                job = self.queue.claim(lease, run_id)
                if job is None:
                    continue
                try:
                    self.claimed.append(run_id)
                    self._run_in_worker(job)
                finally:
                    self.queue.release(lease)
                return True
        return False

    def _run_in_worker(self, job: ClaimedJob) -> None:
        memory_mb = self.settings.research_job_memory_mb
        spec = WorkerJob(self.database.url, str(self.artifacts_dir), job.run_id, job.spec["kind"],
                         dict(job.spec["request"]), job.created_by, job.user_id, self.budget, memory_mb)
        child = _worker_context().Process(target=run_job_process, args=(spec,), name=f"research-job-{job.run_id}")
        child.start()
        self._children[job.run_id] = child
        self.worker_pids[job.run_id] = child.pid
        try:
            child.join(self.settings.research_job_timeout_s)
            if child.is_alive():
                child.kill()
                child.join()
                self.queue.fail_if_running(job.run_id, f"the job ran longer than its limit of "
                                           f"{self.settings.research_job_timeout_s:,.0f} s "
                                           "(QUANTPILOT_RESEARCH_JOB_TIMEOUT_S)")
        finally:
            self._children.pop(job.run_id, None)
        if child.exitcode not in (0, EXIT_MEMORY) and not self._stopping:
            self.queue.fail_if_running(job.run_id, self._ended_early(child.exitcode, memory_mb))

    @staticmethod
    def _ended_early(exitcode: int | None, memory_mb: int) -> str:
        if exitcode is not None and exitcode < 0:
            import signal

            name = signal.Signals(-exitcode).name
            return f"the job's worker process ended by {name}; {memory_limit_message(memory_mb)}" if name in (
                "SIGKILL", "SIGSEGV", "SIGBUS", "SIGABRT") else f"the job's worker process ended by {name}"
        return f"the job's worker process ended with exit code {exitcode} without recording a result"
