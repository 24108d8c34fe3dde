"""The index of chat threads: id, user, title, when (their state lives in the LangGraph checkpointer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from errors import NotFoundError
from memory.db import Database
from memory.models.ladder import ChatThread


@dataclass(frozen=True)
class ThreadRecord:
    id: str
    user_id: str
    title: str
    created_at: datetime
    updated_at: datetime


class ThreadStore:
    """The index of chat threads (id, user, title, when); messages live in the checkpointer."""

    def __init__(self, database: Database):
        self._db = database

    def touch(self, thread_id: str, user_id: str, title: str) -> None:
        """Create the thread entry (title = first request, cut to 200 chars) or bump its updated_at."""
        stmt = insert(ChatThread).values(id=thread_id, user_id=user_id, title=title[:200])
        with self._db.session() as s:
            s.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"updated_at": datetime.now(UTC)}))

    def get(self, thread_id: str) -> ThreadRecord:
        with self._db.session() as s:
            row = s.get(ChatThread, thread_id)
            if row is None:
                raise NotFoundError(f"thread {thread_id!r} does not exist", code="thread_not_found")
            return ThreadRecord(row.id, row.user_id, row.title, row.created_at, row.updated_at)

    def list(self, user_id: str | None = None, limit: int = 50) -> list[ThreadRecord]:
        with self._db.session() as s:
            query = select(ChatThread).order_by(ChatThread.updated_at.desc()).limit(limit)
            if user_id:
                query = query.where(ChatThread.user_id == user_id)
            return [ThreadRecord(r.id, r.user_id, r.title, r.created_at, r.updated_at) for r in s.scalars(query)]
