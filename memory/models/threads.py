"""The index of chat threads (their messages live in the LangGraph checkpointer) and who owns each.

``id`` is the checkpointer's thread key. A thread of an API, web or OpenAI-compatible caller has an
owner (``owner_id``, an ``api_users`` row) and the id its owner calls it by (``client_id``): unique per
owner, so the same client id chosen by two users names two threads. A local thread (CLI, demo) has no
owner and its client id is its key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base
from memory.models.users import ApiUser  # noqa: F401 - owner_id points at its table (api_users)


class ChatThread(Base):
    __tablename__ = "chat_threads"
    __table_args__ = (Index("ix_chat_threads_owner_client", "owner_id", "client_id", unique=True),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("api_users.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(200), index=True)  # the owner's name when the thread began
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
