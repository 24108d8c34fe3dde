"""API users: a name, a role, and the salted hash of one API key (the key itself is never stored)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base


class ApiUser(Base):
    """One API key holder. ``key_id`` is the public part of the key (used for lookup and rate limits)."""

    __tablename__ = "api_users"
    __table_args__ = (
        Index("ix_api_users_active_name", "name", unique=True, postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_salt: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
