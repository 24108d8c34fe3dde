"""Archived thread messages: what a long thread's checkpoint no longer holds, in thread order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base


class ThreadTranscriptMessage(Base):
    """One message moved out of a thread's checkpointed state. ``position`` is its index in the whole thread
    (0 = first message ever); ``message`` is the serialised message (``type`` + ``data``)."""

    __tablename__ = "thread_transcript_messages"
    __table_args__ = (UniqueConstraint("thread_id", "message_id", name="uq_thread_transcript_message"),)

    thread_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128))
    message: Mapped[dict[str, Any]] = mapped_column(JSONB)
    archived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
