"""Start-up continuation of threads whose process died mid-step.

A turn's state lives in the Postgres checkpointer after every step. When the process is killed between
steps (SIGKILL, OOM, a lost machine), the thread's latest checkpoint still names the nodes that were due
(``next``) and carries no interrupt: nobody will ever continue it unless something does at start-up.
``resume_unfinished_threads`` finds those threads and runs each on from its checkpoint with
``graph.invoke(None, config)``. Threads that wait at an interrupt are left alone (they wait for a human);
threads whose last step raised an error are left alone too (the user saw that error).

Each continuation holds a Postgres advisory lock keyed by the thread id, so two processes starting together
never continue the same thread twice; after taking the lock the state is read again (the other process may
have finished it). Every continued thread gets an audit row (``thread.continued``) naming the nodes that
were due and the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from errors import DatabaseError, QuantpilotError
from graph.context import GraphContext
from graph.tool_guard import audit

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph
    from langgraph.types import StateSnapshot

    from config import Settings
    from memory.db import Database

log = logging.getLogger("quantpilot.graph.recovery")

THREAD_LOCK_CLASS = 710_420  # first key of pg_advisory_lock(int, int); the second is hashtext(thread_id)
# Each thread's latest root checkpoint (checkpoint ids are time-ordered UUIDs) and when it was written, kept
# only when that time lies in [:newer_than, :older_than] (a NULL bound is open): finished threads of long
# ago are never loaded one by one at start-up.
_LATEST_ROOT_THREADS = text(
    "SELECT thread_id, latest FROM ("
    " SELECT DISTINCT ON (thread_id) thread_id, checkpoint_id AS latest,"
    "  (checkpoint ->> 'ts')::timestamptz AS written_at"
    " FROM checkpoints WHERE checkpoint_ns = '' ORDER BY thread_id, checkpoint_id DESC) AS latest_per_thread "
    "WHERE (CAST(:newer_than AS timestamptz) IS NULL OR written_at >= :newer_than) "
    "AND (CAST(:older_than AS timestamptz) IS NULL OR written_at <= :older_than) "
    "ORDER BY latest"
)


@dataclass(frozen=True)
class ResumedThread:
    """One thread continued from its checkpoint: the nodes that were due, the nodes due afterwards (empty when
    the turn ended; an approval node when it stopped at an interrupt), and the outcome."""

    thread_id: str
    due_nodes: list[str]
    next_nodes: list[str]
    outcome: str  # completed | interrupted | failed
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def unfinished(snapshot: StateSnapshot) -> bool:
    """True when the thread stopped between steps: nodes are due, none waits at an interrupt, none failed."""
    if not snapshot.next or snapshot.interrupts:
        return False
    return not any(task.interrupts or task.error is not None for task in snapshot.tasks)


def checkpointed_threads(database: Database, *, newer_than: datetime | None = None,
                         older_than: datetime | None = None) -> list[str]:
    """Thread ids with a root checkpoint whose latest one was written within [``newer_than``, ``older_than``]
    (None: no bound), oldest latest-checkpoint first (LangGraph's ``checkpoints`` table; empty when the
    checkpointer was never set up)."""
    with database.engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('checkpoints') IS NOT NULL")).scalar_one()
        if not exists:
            return []
        rows = conn.execute(_LATEST_ROOT_THREADS, {"newer_than": newer_than, "older_than": older_than})
        return [row.thread_id for row in rows]


@contextmanager
def thread_lock(database: Database, thread_id: str) -> Iterator[bool]:
    """A session advisory lock on ``thread_id`` for the ``with`` block; yields False (and holds nothing) when
    another connection has it. The lock dies with its connection, so a killed holder never blocks anyone."""
    with database.engine.connect() as conn:
        held = conn.execute(text("SELECT pg_try_advisory_lock(:k, hashtext(:t))"),
                            {"k": THREAD_LOCK_CLASS, "t": thread_id}).scalar_one()
        conn.commit()  # the session lock outlives the transaction; the connection is not left idle in one
        try:
            yield bool(held)
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:k, hashtext(:t))"),
                             {"k": THREAD_LOCK_CLASS, "t": thread_id})
                conn.commit()


def _idle_s(snapshot: StateSnapshot, now: datetime) -> float:
    if not snapshot.created_at:
        return float("inf")
    return (now - datetime.fromisoformat(snapshot.created_at)).total_seconds()


def _continue(graph: CompiledStateGraph, context: GraphContext, thread_id: str, due: list[str]) -> ResumedThread:
    config = {"configurable": {"thread_id": thread_id}}
    try:
        graph.invoke(None, config, context=context)
    except (DatabaseError, OperationalError):
        raise  # the database is gone: nothing else can be continued either
    except QuantpilotError as exc:
        return ResumedThread(thread_id, due, list(graph.get_state(config).next), "failed", str(exc))
    after = graph.get_state(config)
    return ResumedThread(thread_id, due, list(after.next), "interrupted" if after.interrupts else "completed")


def resume_unfinished_threads(database: Database, graph: CompiledStateGraph, context: GraphContext, *,
                              actor: str = "recovery", min_idle_s: float = 0.0,
                              max_age_s: float | None = None) -> list[ResumedThread]:
    """Continue every thread left mid-step; returns the threads continued (a second call returns []).

    ``min_idle_s``: skip threads whose latest checkpoint is younger than this many seconds — a turn still
    running in another live process looks exactly like a killed one, so a server that starts beside running
    workers should pass the longest step it expects. ``max_age_s``: skip threads whose latest checkpoint is
    older than this (None: no limit) — a turn cut off days ago acted on what was true then, so it is not
    continued by itself (``quantpilot threads recover --max-age-hours 0`` continues it on purpose), and a
    start-up never loads every finished thread of the past one by one. Both are decided in SQL on the
    checkpoint's own time. Audit rows go to ``context.audit`` on ``context.channel``.
    """
    now = context.now()
    newer_than = None if max_age_s is None else now - timedelta(seconds=max_age_s)
    older_than = now - timedelta(seconds=min_idle_s) if min_idle_s > 0 else None
    resumed: list[ResumedThread] = []
    for thread_id in checkpointed_threads(database, newer_than=newer_than, older_than=older_than):
        config = {"configurable": {"thread_id": thread_id}}
        snapshot = graph.get_state(config)
        if not unfinished(snapshot) or _idle_s(snapshot, context.now()) < min_idle_s:
            continue
        with thread_lock(database, thread_id) as held:
            if not held:
                log.info("thread %s is being continued by another process", thread_id)
                continue
            snapshot = graph.get_state(config)  # another process may have finished it before we got the lock
            if not unfinished(snapshot):
                continue
            due = list(snapshot.next)
            log.warning("continuing thread %s from its checkpoint at %s", thread_id, due)
            result = _continue(graph, context, thread_id, due)
        audit(context, actor, "thread.continued", thread_id, {"due_nodes": due, "next_nodes": result.next_nodes,
                                                              "outcome": result.outcome, "error": result.error})
        resumed.append(result)
    return resumed


def resume_product_threads(settings: Settings, database: Database, *, channel: str = "system",
                           min_idle_s: float = 0.0, max_age_s: float | None = None) -> list[ResumedThread]:
    """``resume_unfinished_threads`` on the product graph and context (``graph.wiring``): what the CLI
    ``threads recover`` and the API start-up run."""
    from graph.wiring import product_context, product_graph

    context = product_context(settings, database, channel)
    return resume_unfinished_threads(database, product_graph(settings, database), context, actor="recovery",
                                     min_idle_s=min_idle_s, max_age_s=max_age_s)
