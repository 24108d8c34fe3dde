"""One research job in a worker process of its own, with a memory limit.

``run_job_process`` is what the child runs (a ``forkserver`` child: the heavy libraries are imported once
by the fork server, so a job starts in milliseconds): it dies with its parent, caps its address space at
what it started with plus the job's allowance (``RLIMIT_AS``), opens its own small connection pool, runs
the job into its claimed row and exits. A job that needs more memory than its limit fails with
``MemoryError`` in the child, which stores the reason and exits ``EXIT_MEMORY``; the API process never
holds the job's arrays, so it keeps answering whatever a job does.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import resource
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from errors import QuantpilotError
from guardrails.policy import Actor, Channel, Role
from memory.db import Database
from services.research.budget import WorkBudget
from services.research.service import ResearchService

log = logging.getLogger("quantpilot.research.worker")

EXIT_MEMORY = 3  # the job ran out of its memory allowance (its row says so)
EXIT_FAILED = 4  # the job failed unexpectedly (its row says so; the traceback is in the log)
_PR_SET_PDEATHSIG = 1
MIB = 1024 * 1024

# job kind (API word) -> the kind the research service records
RUN_KIND = {"backtest": "backtest", "grid": "grid", "walk_forward": "walkforward", "monte_carlo": "montecarlo",
            "optimize": "optimize"}
Runner = Callable[[ResearchService, Mapping[str, Any], str], dict]


def _backtest(service: ResearchService, r: Mapping[str, Any], by: str) -> dict:
    return service.backtest(r["strategy"], r["symbols"], r.get("params"), r.get("start"), r.get("end"),
                            as_of=r.get("as_of"), engine=r.get("engine", "vectorized"), config=r.get("config"),
                            report=r.get("report", True), created_by=by)


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
                                config=r.get("config"), report=r.get("report", True), created_by=by)


def _monte_carlo(service: ResearchService, r: Mapping[str, Any], by: str) -> dict:
    return service.monte_carlo(int(r["source_run_id"]), method=r.get("method", "returns"),
                               n_paths=r.get("n_paths", 10_000), seed=r.get("seed", 0), report=r.get("report", True),
                               created_by=by)


def _optimize(service: ResearchService, r: Mapping[str, Any], by: str) -> dict:
    import pandas as pd

    views = {s: tuple(v) for s, v in (r.get("views") or {}).items()} or None
    return service.optimize(r["method"], r["symbols"], as_of=pd.Timestamp(r["as_of"]) if r.get("as_of") else None,
                            lookback_days=r.get("lookback_days"), views=views, target_return=r.get("target_return"),
                            target_volatility=r.get("target_volatility"), total_value=r.get("total_value"),
                            weight_bounds=tuple(r.get("weight_bounds") or (0.0, 1.0)), created_by=by)


RUNNERS: dict[str, Runner] = {"backtest": _backtest, "grid": _grid, "walk_forward": _walk_forward,
                              "monte_carlo": _monte_carlo, "optimize": _optimize}


@dataclass(frozen=True)
class WorkerJob:
    """Everything a worker needs, passed to it explicitly (never read from its environment)."""

    database_url: str
    artifacts_dir: str | None
    run_id: int
    kind: str
    request: dict[str, Any]
    created_by: str
    user_id: int | None
    budget: WorkBudget
    memory_mb: int


def memory_limit_message(memory_mb: int) -> str:
    return (f"the job needed more memory than its limit of {memory_mb:,} MiB; ask for less work (fewer parameter "
            "values, symbols, dates or paths) or raise QUANTPILOT_RESEARCH_JOB_MEMORY_MB")


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says the process ran out of its address space: a ``MemoryError``, or a library that could
    not be mapped into memory while it was imported (an ``ImportError``/``OSError`` saying so)."""
    if isinstance(exc, MemoryError):
        return True
    said = str(exc)
    return isinstance(exc, (ImportError, OSError)) and ("failed to map segment" in said
                                                        or "Cannot allocate memory" in said)


def execute(database: Database, job: WorkerJob) -> None:
    """Run ``job`` into its claimed row (in whichever process calls it); raises what the job raised."""
    from memory.job_queue import ClaimedRunStore

    # the job was authorised when it was accepted; it runs in its asker's name
    asker = Actor(job.user_id, job.created_by, Role.TRADER, Channel.API)
    artifacts = Path(job.artifacts_dir) if job.artifacts_dir else None
    service = ResearchService(database, artifacts, actor=asker, budget=job.budget)
    service.runs = ClaimedRunStore(database, job.run_id)
    RUNNERS[job.kind](service, job.request, job.created_by)


def _die_with_parent() -> None:
    """SIGKILL this process when its parent (the fork server, which dies with the API) goes away."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the job's lease still keeps it from running twice
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _address_space_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def limit_memory(memory_mb: int) -> None:
    """Cap this process's address space at its current size plus ``memory_mb`` MiB (0: no cap)."""
    if memory_mb <= 0:
        return
    try:
        ceiling = _address_space_bytes() + memory_mb * MIB
    except OSError:  # no /proc: a plain cap
        ceiling = memory_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def run_job_process(job: WorkerJob) -> None:
    """The worker process's body (see the module docstring); its exit code says how the job ended."""
    from guardrails.redaction import install_log_redaction
    from memory.db import make_engine
    from memory.runs import RunStore

    _die_with_parent()
    install_log_redaction()
    limit_memory(job.memory_mb)
    from sqlalchemy.orm import sessionmaker

    engine = make_engine(job.database_url, pool_size=1, max_overflow=2)
    database = Database(engine, sessionmaker(engine, expire_on_commit=False), "inherited")
    code = 0
    try:
        execute(database, job)
    except QuantpilotError as exc:
        RunStore(database).fail(job.run_id, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a job's failure is stored on its row, whatever it was
        if out_of_memory(exc):
            code = EXIT_MEMORY
            RunStore(database).fail(job.run_id, memory_limit_message(job.memory_mb))
        else:
            code = EXIT_FAILED
            log.exception("research job %s failed", job.run_id)
            RunStore(database).fail(job.run_id, f"{type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
    os._exit(code)  # no interpreter teardown: nothing of the parent's to flush
