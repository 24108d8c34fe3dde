"""The LangGraph checkpointer: Postgres (same server as ``memory.db.connect()``) or in memory for unit tests.

Graph state saved here outlives the process, so a thread interrupted for an approval in one
process is resumed by another (web worker, Slack handler, CLI) minutes or days later.
"""

from __future__ import annotations

import atexit
import threading
import weakref

import psycopg
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from memory.db import Database
from memory.server import libpq_url
from memory.thread_transcripts import InMemoryTranscripts, ThreadTranscripts, TranscriptStore

_SETUP_LOCK_KEY = 7_104_202_612  # advisory lock: one process runs the saver's migrations at a time

_lock = threading.Lock()
_savers: dict[str, PostgresSaver] = {}
_transcripts: dict[int, ThreadTranscripts] = {}  # id(saver) of a pooled saver -> the store on its database
_memory_transcripts: weakref.WeakKeyDictionary[InMemorySaver, InMemoryTranscripts] = weakref.WeakKeyDictionary()


def _setup_once(saver: PostgresSaver, url: str) -> None:
    """Run the saver's own migrations, serialised across processes (its setup is not concurrency-safe)."""
    with psycopg.connect(url, autocommit=True) as guard:
        guard.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK_KEY,))
        try:
            saver.setup()
        finally:
            guard.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK_KEY,))


def postgres_checkpointer(database: Database, *, max_connections: int = 4) -> PostgresSaver:
    """The process-wide PostgresSaver on ``database``'s server; its tables are set up on first use.

    Connections come from a small pool (autocommit, no prepared statements, dict rows, as the
    saver requires), closed when the process exits.
    """
    url = libpq_url(database.url)
    with _lock:
        saver = _savers.get(url)
        if saver is not None:
            return saver
        pool = ConnectionPool(
            url, min_size=1, max_size=max_connections, open=True,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        )
        atexit.register(pool.close)
        saver = PostgresSaver(pool)  # type: ignore[arg-type]
        _setup_once(saver, url)
        _savers[url] = saver
        _transcripts[id(saver)] = ThreadTranscripts(database)
        return saver


def in_memory_checkpointer() -> InMemorySaver:
    """A checkpointer that lives only in this process (unit tests, throwaway sessions)."""
    return InMemorySaver()


def transcripts_for(checkpointer: object) -> TranscriptStore | None:
    """Where messages archived out of ``checkpointer``'s threads are kept: the ``thread_transcript_messages``
    table for a saver from ``postgres_checkpointer``, a store beside an in-memory saver, else None (a saver
    made elsewhere: its threads are never compacted)."""
    with _lock:
        if isinstance(checkpointer, InMemorySaver):
            return _memory_transcripts.setdefault(checkpointer, InMemoryTranscripts())
        return _transcripts.get(id(checkpointer)) if checkpointer in _savers.values() else None


def forget_checkpointers() -> None:
    """Close every pooled saver of this process (between tests, after ``db stop``)."""
    with _lock:
        for saver in _savers.values():
            saver.conn.close()  # type: ignore[union-attr]
        _savers.clear()
        _transcripts.clear()
