"""Long-term memory: what the assistant should recall later (conclusions, decisions, preferences)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pgvector.sqlalchemy import Vector
from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, String, Text, func
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base

MEMORY_EMBEDDING_DIM = 384  # all-MiniLM-L6-v2, see memory/embeddings.py


class MemoryKind(StrEnum):
    BACKTEST_CONCLUSION = "backtest_conclusion"
    APPROVAL = "approval"
    REJECTION = "rejection"
    PREFERENCE = "preference"
    NOTE = "note"


_KINDS_SQL = ", ".join(f"'{kind.value}'" for kind in MemoryKind)


class Memory(Base):
    """One remembered text of one user, with its unit-norm sentence embedding (pending: None)."""

    __tablename__ = "memories"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS_SQL})", name="ck_memories_kind"),
        Index("ix_memories_user_kind_created", "user_id", "kind", "created_at"),
        # the memories waiting for their embedding (each recall embeds its user's first: 0042, 0043)
        Index("ix_memories_pending", "user_id", "id", postgresql_where=sql_text("embedding IS NULL")),
        Index(
            "ix_memories_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(128), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    # "metadata" is reserved on declarative classes, so the attribute is `meta`.
    meta: Mapped[dict] = mapped_column("metadata", JSONB, nullable=False, default=dict, server_default="{}")
    # None until embedded: stored by a process without the model loaded, embedded by the next recall (0042)
    embedding: Mapped[list[float] | None] = mapped_column(Vector(MEMORY_EMBEDDING_DIM), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
