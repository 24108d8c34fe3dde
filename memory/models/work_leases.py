"""Work leases: a user's running chat turns (and MCP tool calls), counted across interfaces and processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base


class WorkLease(Base):
    """One piece of interactive work running for ``user_id`` until it ends or ``expires_at`` passes."""

    __tablename__ = "work_leases"
    __table_args__ = (Index("ix_work_leases_user_kind", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
