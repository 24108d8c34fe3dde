"""The LangGraph checkpointer: Postgres (same server as ``memory.db.connect()``) or in memory for unit tests.

Graph state saved here outlives the process, so a thread interrupted for an approval in one
process is resumed by another (web worker, Slack handler, CLI) minutes or days later. No credential
is saved in it, whatever node, tool or resume value wrote it: the Postgres saver's serializer
(``RedactingSerializer``) and its inline values pass through ``guardrails.redaction`` (the nodes and the
runner redact what they write with the full rules; this is the net below them).
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import psycopg
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata, CheckpointTuple
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.base import SELECT_SQL
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from errors import DatabaseError
from guardrails.redaction import may_hold_credential, redact, redact_value
from memory.db import CONNECTION_LOST, Database, connection_lost, retrying
from memory.server import libpq_url
from memory.thread_transcripts import InMemoryTranscripts, ThreadTranscripts, TranscriptStore

_SETUP_LOCK_KEY = 7_104_202_612  # advisory lock: one process runs the saver's migrations at a time

# The saver loads a checkpoint's channel values by joining its channel versions to checkpoint_blobs. The
# planner estimates one blob per thread and hashes every blob the thread ever wrote, so loading the
# latest checkpoint of a long thread costs O(its history) (~6 ms at 200 turns, 0.4 ms at turn 1). A
# lateral lookup per channel (LIMIT 1: the primary key makes it at most one row anyway, and it keeps the
# planner from flattening the subquery back into that join) reads one index entry per channel instead.
_BLOB_JOIN = """        from jsonb_each_text(checkpoint -> 'channel_versions')
        inner join checkpoint_blobs bl
            on bl.thread_id = checkpoints.thread_id
            and bl.checkpoint_ns = checkpoints.checkpoint_ns
            and bl.channel = jsonb_each_text.key
            and bl.version = jsonb_each_text.value
"""
_BLOB_LOOKUP = """        from jsonb_each_text(checkpoint -> 'channel_versions') cv
        cross join lateral (
            select b.channel, b.type, b.blob from checkpoint_blobs b
            where b.thread_id = checkpoints.thread_id and b.checkpoint_ns = checkpoints.checkpoint_ns
                and b.channel = cv.key and b.version = cv.value
            limit 1
        ) bl
"""
if _BLOB_JOIN not in SELECT_SQL:  # the saver's query changed: fail at import, never run a wrong query
    raise ImportError("langgraph-checkpoint-postgres SELECT_SQL changed; review memory.checkpoint._BLOB_LOOKUP")


class RedactingSerializer(JsonPlusSerializer):
    """LangGraph's serializer, with credentials masked in whatever it writes (state channels, pending writes,
    resume values). The serialized bytes are looked at first (msgpack keeps strings as they are;
    ``may_hold_credential`` costs microseconds): only a value that may hold one is redacted with the full rules
    (``guardrails.redaction.redact_value``) and serialized again."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        kind, data = super().dumps_typed(obj)
        if kind in ("msgpack", "json") and data and may_hold_credential(data.decode("latin-1")):
            kind, data = super().dumps_typed(redact_value(obj))
        return kind, data


def _inline_redacted(checkpoint: Checkpoint) -> Checkpoint:
    """The checkpoint with its string channel values redacted: the saver stores those inline, not as blobs."""
    values = checkpoint["channel_values"]
    if not any(isinstance(v, str) and may_hold_credential(v) for v in values.values()):
        return checkpoint
    return {**checkpoint, "channel_values": {k: redact(v) if isinstance(v, str) else v for k, v in values.items()}}


class IndexedPostgresSaver(PostgresSaver):
    """``PostgresSaver`` whose checkpoint load reads each channel's blob by primary key (see ``_BLOB_LOOKUP``)
    and whose lost connections surface as ``DatabaseError`` (a clear one-line error / 503, like every other
    database access), not as a raw ``psycopg.OperationalError``.

    A pooled connection the server dropped (restart, terminated backend) is found out by using it, not by a
    ping before every use (a round trip per call, ~2 ms of every turn): each call here is a read or an
    upsert keyed by its natural key, so a call whose connection was lost, even during COMMIT, is repeated on
    another one, up to ``attempts`` tries in all (one more than the pool has connections)."""

    SELECT_SQL = SELECT_SQL.replace(_BLOB_JOIN, _BLOB_LOOKUP)

    def __init__(self, conn: Any, *, attempts: int = 1, **kwargs: Any) -> None:
        super().__init__(conn, serde=kwargs.pop("serde", None) or RedactingSerializer(), **kwargs)
        self.attempts = attempts

    def _again[T](self, work: Callable[[], T]) -> T:
        return retrying(self.attempts, base_delay_s=0.0)(work)

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self._again(partial(super().get_tuple, config))

    def put(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
            new_versions: ChannelVersions) -> RunnableConfig:
        return self._again(partial(super().put, config, _inline_redacted(checkpoint), metadata, new_versions))

    def put_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                   task_path: str = "") -> None:
        self._again(partial(super().put_writes, config, writes, task_id, task_path))

    @contextmanager
    def _cursor(self, *, pipeline: bool = False) -> Iterator[Any]:
        try:
            with super()._cursor(pipeline=pipeline) as cur:
                yield cur
        except psycopg.OperationalError as exc:
            if not connection_lost(exc):
                raise
            raise DatabaseError(f"lost the connection to the database while saving or loading the agent's "
                                f"checkpoint: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}; "
                                "the thread resumes from its last saved step", code=CONNECTION_LOST) from exc


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


def postgres_checkpointer(database: Database, *, max_connections: int = 4) -> IndexedPostgresSaver:
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
        # every pooled connection may have been dropped at once: one more try than there are connections
        saver = IndexedPostgresSaver(pool, attempts=max_connections + 1)  # type: ignore[arg-type]
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
