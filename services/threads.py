"""A user's chat threads, the same on every interface that takes a thread id (API, OpenAI-compatible
endpoint, web chat, promotion requests).

A thread belongs to the user who started it and only they read, continue or answer it. Another user's
thread is "not found", never "forbidden": the same id chosen by someone else names their own thread
(``memory.threads``), so a thread id can be neither squatted nor probed. A thread id is an identifier people
read back (URLs, lists, logs), so one that holds a credential or personal data is refused.
"""

from __future__ import annotations

from typing import Protocol

from errors import ApprovalError, ConfigError, NotFoundError
from guardrails.redaction import redact
from memory.threads import OwnedThread, ThreadRecord, ThreadStore


class ThreadOwner(Protocol):
    """Who acts on a thread: the authenticated user (``memory.users.ApiUser``; an Actor has the same fields)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


def _checked(thread_id: str) -> str:
    if redact(thread_id) != thread_id:
        raise ConfigError("a thread id must not contain a credential or personal data; choose another id",
                          code="invalid_thread_id", details={"field": "thread_id"})
    return thread_id


def _not_found(thread_id: str) -> NotFoundError:
    return NotFoundError(f"thread {thread_id} does not exist", code="thread_not_found")


class ThreadService:
    """Owner-scoped access to the thread index."""

    def __init__(self, store: ThreadStore):
        self.store = store

    def get(self, owner: ThreadOwner, thread_id: str) -> ThreadRecord:
        """``owner``'s thread ``thread_id``; NotFoundError (404) when they have none by that id."""
        record = self.store.find(owner.id, _checked(thread_id))
        if record is None:
            raise _not_found(thread_id)
        return record

    def find(self, owner: ThreadOwner, thread_id: str) -> ThreadRecord | None:
        """``owner``'s thread ``thread_id``, or None (an id holding a secret names no thread)."""
        if redact(thread_id) != thread_id:
            return None
        return self.store.find(owner.id, thread_id)

    def create(self, owner: ThreadOwner, thread_id: str, title: str) -> ThreadRecord:
        """A new thread; ApprovalError ``thread_exists`` (409) when ``owner`` has one by that id already."""
        record = self.store.create(owner.id, owner.name, _checked(thread_id), title)
        if record is None:
            raise ApprovalError(f"thread {thread_id} exists already", code="thread_exists")
        return record

    def for_turn(self, owner: ThreadOwner, thread_id: str) -> OwnedThread:
        """``owner``'s thread ``thread_id`` as a turn runs it (a new one is stored by its first turn)."""
        return self.store.owned(owner.id, owner.name, _checked(thread_id))

    def list(self, owner: ThreadOwner, limit: int = 50) -> list[ThreadRecord]:
        """``owner``'s threads, most recently active first."""
        return self.store.list(owner_id=owner.id, limit=limit)
