"""The audit log: one append-only, hash-chained row per state-changing action, and its head anchor.

``seq`` is assigned by ``memory.audit.AuditLog`` under an advisory lock (last seq + 1), not by a
sequence: a sequence leaves gaps when a caller's transaction rolls back, and a gap is exactly
how ``verify`` recognises a deleted row. ``audit_head`` holds the seq and hash of the newest
row, so deleting or forging rows at the end of the chain is detected too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, SmallInteger, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base

AUDIT_CHANNELS = ("cli", "api", "web", "slack", "mcp", "graph", "system")


class AuditRow(Base):
    """One audited action. ``hash`` = sha256 of the canonical JSON of the row and ``prev_hash``."""

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(
            "channel IN (" + ", ".join(f"'{c}'" for c in AUDIT_CHANNELS) + ")", name="ck_audit_log_channel"
        ),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict] = mapped_column(JSONB)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The single row (id = 1) naming the newest audit row: its seq and hash."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="ck_audit_head_single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
