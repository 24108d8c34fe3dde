"""The usage ledger: one row per chat-model call (tokens, latency, dollars), by turn, thread and user."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base


class ModelCall(Base):
    """One model call. ``cost_usd`` comes from the price table in force when it was made (``priced`` False:
    the model had no price and cost 0); ``latency_ms`` is wall time of the request; ``outcome`` is ``ok``
    or the error code the call ended with (tokens 0 when the server sent none)."""

    __tablename__ = "model_calls"
    __table_args__ = (
        Index("ix_model_calls_turn", "turn_id"),
        Index("ix_model_calls_thread", "thread_id", "created_at"),
        Index("ix_model_calls_user", "user_id", "created_at"),
        Index("ix_model_calls_user_name", "user_name", "created_at"),
        Index("ix_model_calls_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    turn_id: Mapped[str | None] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(BigInteger)  # the stored user's; None: quantpilot, the local reader
    user_name: Mapped[str | None] = mapped_column(String(200))
    agent: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(Integer)
    output_tokens: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    priced: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(48))
