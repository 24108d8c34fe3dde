"""Research runs: backtests, grids, walk-forwards, Monte Carlo, optimisations — reproducible records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base


class ResearchRun(Base):
    """One research run: what was asked (config + hashes), what came out (metrics), where its artifacts are."""

    __tablename__ = "research_runs"
    __table_args__ = (Index("ix_research_runs_active", "status", postgresql_where=text("status IN ('queued', "
                                                                                       "'running')")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    strategy: Mapped[str | None] = mapped_column(String(64), index=True)
    symbols: Mapped[list] = mapped_column(JSONB, default=list)
    params: Mapped[dict] = mapped_column(JSONB, default=dict)
    config: Mapped[dict] = mapped_column(JSONB, default=dict)
    config_hash: Mapped[str | None] = mapped_column(String(64))
    data_hash: Mapped[str | None] = mapped_column(String(64))
    code_version: Mapped[str | None] = mapped_column(String(64))
    metrics: Mapped[dict] = mapped_column(JSONB, default=dict)
    summary: Mapped[dict] = mapped_column(JSONB, default=dict)
    artifacts: Mapped[dict] = mapped_column(JSONB, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("research_runs.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    user_id: Mapped[int | None] = mapped_column(BigInteger)  # the asker's api_users id (jobs: per-user quotas)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # a job: when a worker took it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
