"""The chat-thread index: which threads exist, whose they are, their titles (messages live in the checkpointer).

A thread has a key (the checkpointer's ``thread_id``) and, when a user owns it, the id its owner calls it
by. Owned threads are read and written by (owner id, id): the same id chosen by another user names another
thread, so a thread id can neither be squatted nor reveal whether someone else uses it. A new owned thread's
key is derived from both (``owned_thread_key``), so the first turn learns it without a write of its own.
Titles are stored redacted (``guardrails.redaction``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, text

from errors import ConfigError, NotFoundError
from guardrails.redaction import redact
from memory.db import Database
from memory.models.threads import ChatThread

TITLE_CHARS = 200
_UPSERT = text(
    "INSERT INTO chat_threads (id, owner_id, client_id, user_id, title) VALUES (:key, :owner, :client, :name, :title)"
    " ON CONFLICT (id) DO UPDATE SET updated_at = now(),"
    " title = CASE WHEN chat_threads.title = '' THEN EXCLUDED.title ELSE chat_threads.title END"
    " WHERE chat_threads.owner_id IS NOT DISTINCT FROM EXCLUDED.owner_id RETURNING id")


def owned_thread_key(owner_id: int, thread_id: str) -> str:
    """The checkpointer key of user ``owner_id``'s thread ``thread_id``: "t" and 20 hex digits (80 bits) of a
    SHA-256, as short as the ids people see. A collision could not merge two owners' threads: the index refuses
    a key held by another owner (``thread_key_taken``)."""
    return "t" + hashlib.sha256(f"{owner_id}\x00{thread_id}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class ThreadRecord:
    """A thread as its owner sees it (``id``), with the key the checkpointer stores it under."""

    id: str
    user_id: str  # the owner's name when the thread began
    title: str
    created_at: datetime
    updated_at: datetime
    key: str
    owner_id: int | None  # None: a local thread (CLI, demo)


def _record(row: ChatThread) -> ThreadRecord:
    return ThreadRecord(row.client_id, row.user_id, row.title, row.created_at, row.updated_at, row.id, row.owner_id)


class ThreadIndex(Protocol):
    """What a turn writes to the index (``graph.runner``): create the entry or mark it active."""

    def touch(self, thread_id: str, user_id: str, title: str) -> None: ...


class ThreadStore:
    """The index. ``touch``/``get`` address local threads by key; ``find``/``create``/``owned`` address a user's
    threads by (owner id, id) and never see another owner's."""

    def __init__(self, database: Database):
        self._db = database

    def _upsert(self, key: str, owner_id: int | None, client_id: str, name: str, title: str) -> None:
        with self._db.engine.begin() as conn:
            stored = conn.execute(_UPSERT, {"key": key, "owner": owner_id, "client": client_id, "name": name,
                                            "title": redact(title)[:TITLE_CHARS]}).first()
        if stored is None:  # the key is another owner's (a local id chosen equal to a derived key)
            raise ConfigError(f"thread key {key} is taken; use another thread id", code="thread_key_taken")

    def touch(self, thread_id: str, user_id: str, title: str) -> None:
        """Create the local thread ``thread_id`` (title = its first request, redacted, cut to 200 characters) or
        mark it active."""
        self._upsert(thread_id, None, thread_id, user_id, title)

    def get(self, key: str) -> ThreadRecord:
        """The thread stored under ``key`` (any owner: for local tools such as ``quantpilot threads show``)."""
        with self._db.session() as s:
            row = s.get(ChatThread, key)
            if row is None:
                raise NotFoundError(f"thread {key!r} does not exist", code="thread_not_found")
            return _record(row)

    def find(self, owner_id: int, thread_id: str) -> ThreadRecord | None:
        """User ``owner_id``'s thread ``thread_id``, or None (whoever else may use that id)."""
        with self._db.session() as s:
            row = s.scalar(select(ChatThread).where(ChatThread.owner_id == owner_id,
                                                    ChatThread.client_id == thread_id))
            return None if row is None else _record(row)

    def create(self, owner_id: int, owner_name: str, thread_id: str, title: str) -> ThreadRecord | None:
        """A new thread ``thread_id`` of user ``owner_id``; None when they have one by that id already."""
        key = owned_thread_key(owner_id, thread_id)
        with self._db.engine.begin() as conn:
            created = conn.execute(text(
                "INSERT INTO chat_threads (id, owner_id, client_id, user_id, title) VALUES (:key, :owner, :client,"
                " :name, :title) ON CONFLICT DO NOTHING RETURNING id"),
                {"key": key, "owner": owner_id, "client": thread_id, "name": owner_name,
                 "title": redact(title)[:TITLE_CHARS]}).first()
        return None if created is None else self.get(key)

    def owned(self, owner_id: int, owner_name: str, thread_id: str) -> OwnedThread:
        """User ``owner_id``'s thread ``thread_id`` as a turn writes it, whether or not it exists yet."""
        record = self.find(owner_id, thread_id)
        key = record.key if record is not None else owned_thread_key(owner_id, thread_id)
        return OwnedThread(self, owner_id, owner_name, thread_id, key, record)

    def list(self, user_id: str | None = None, limit: int = 50, *, owner_id: int | None = None
             ) -> list[ThreadRecord]:
        """Threads, most recently active first: user ``owner_id``'s, or those begun under the name ``user_id``,
        or all."""
        with self._db.session() as s:
            query = select(ChatThread).order_by(ChatThread.updated_at.desc()).limit(limit)
            if owner_id is not None:
                query = query.where(ChatThread.owner_id == owner_id)
            elif user_id:
                query = query.where(ChatThread.user_id == user_id)
            return [_record(r) for r in s.scalars(query)]


@dataclass(frozen=True)
class OwnedThread:
    """One user's thread as a turn sees it: the checkpointer ``key`` to run on and the index entry it touches
    (``record`` is None until the first turn stores it)."""

    store: ThreadStore
    owner_id: int
    owner_name: str
    id: str
    key: str
    record: ThreadRecord | None

    def touch(self, thread_id: str, user_id: str, title: str) -> None:
        """``ThreadIndex.touch`` for this thread (``thread_id`` is its key): stored under its owner and id."""
        if thread_id != self.key:
            raise ValueError(f"thread {self.id} runs under key {self.key}, not {thread_id}")
        self.store._upsert(self.key, self.owner_id, self.id, self.owner_name, title)
