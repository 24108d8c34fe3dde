"""Where a long thread's older messages go when they leave the checkpointed state (``graph.history``).

A message is stored once per thread (by its id) at its position in the whole thread, so writing
the same batch again (a turn retried after a crash) changes nothing. Messages are stored as the
JSON the caller serialised (``graph.transcript``), secrets masked (``guardrails.redaction``); this module
knows nothing of LangChain.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from guardrails.redaction import redact_value
from memory.db import Database
from memory.models.thread_transcripts import ThreadTranscriptMessage


class TranscriptStore(Protocol):
    """Archived messages of threads: ``append`` a batch, read a thread's back in order."""

    def append(self, thread_id: str, first_position: int, messages: Sequence[Mapping[str, Any]]) -> None: ...

    def messages(self, thread_id: str) -> list[dict[str, Any]]: ...


class ThreadTranscripts:
    """The Postgres store (table ``thread_transcript_messages``); ``append`` is one INSERT statement."""

    def __init__(self, database: Database):
        self.database = database

    def append(self, thread_id: str, first_position: int, messages: Sequence[Mapping[str, Any]]) -> None:
        """Store ``messages`` (each with an ``id``) at positions ``first_position``, ``first_position + 1``, ...;
        messages this thread already holds are left as they are."""
        if not messages:
            return
        rows = [{"thread_id": thread_id, "position": first_position + i, "message_id": str(m["id"]),
                 "message": redact_value(dict(m))} for i, m in enumerate(messages)]
        with self.database.session() as session:
            session.execute(insert(ThreadTranscriptMessage).values(rows).on_conflict_do_nothing())

    def messages(self, thread_id: str) -> list[dict[str, Any]]:
        """The archived messages of ``thread_id``, oldest first (empty when none were archived)."""
        with self.database.session() as session:
            return list(session.scalars(select(ThreadTranscriptMessage.message)
                                        .where(ThreadTranscriptMessage.thread_id == thread_id)
                                        .order_by(ThreadTranscriptMessage.position)))


class InMemoryTranscripts:
    """The same store in this process only (beside an in-memory checkpointer)."""

    def __init__(self) -> None:
        self._threads: dict[str, dict[int, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def append(self, thread_id: str, first_position: int, messages: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            held = self._threads.setdefault(thread_id, {})
            known = {m["id"] for m in held.values()}
            for i, message in enumerate(messages):
                if message["id"] not in known and first_position + i not in held:
                    held[first_position + i] = redact_value(dict(message))

    def messages(self, thread_id: str) -> list[dict[str, Any]]:
        with self._lock:
            held = self._threads.get(thread_id, {})
            return [held[p] for p in sorted(held)]
