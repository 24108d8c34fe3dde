"""Operator alerts: every alert any interface sent, de-duplicated per burst, with where it was delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base


class Alert(Base):
    """One alert. ``fingerprint`` identifies identical alerts (severity + normalised text); a repeat inside the
    same burst (same turn, or the de-duplication window) adds to ``repeats`` instead of a row. ``status`` is
    ``delivered`` (sent to ``outputs``), ``stored`` (no output configured) or ``suppressed`` (over the rate
    limit: kept here, sent nowhere)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_created", "created_at"),
        Index("ix_alerts_fingerprint", "fingerprint", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(BigInteger)  # who sent it: the stored user's id (None: quantpilot)
    user_name: Mapped[str | None] = mapped_column(String(200))
    thread_id: Mapped[str | None] = mapped_column(String(128))
    turn_id: Mapped[str | None] = mapped_column(String(64))
    repeats: Mapped[int] = mapped_column(Integer, server_default="1")
    status: Mapped[str] = mapped_column(String(16))
    outputs: Mapped[list[Any]] = mapped_column(JSONB, server_default="[]")
