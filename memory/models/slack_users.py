"""Slack: which Slack user is which quantpilot user, and which Slack message shows which approval."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from memory.models.base import Base


class SlackUserLink(Base):
    """A Slack user id (``U…``/``W…``) acting as the quantpilot user ``user_id`` (role from ``api_users``); bound to
    the id, so a later user given a revoked user's name never inherits the link."""

    __tablename__ = "slack_user_links"

    slack_user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    linked_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SlackRequestReplay(Base):
    """A signed Slack request already accepted (SHA-256 of its signature): accepted once within the signing
    window; rows older than the window are pruned."""

    __tablename__ = "slack_request_replays"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class SlackApprovalMessage(Base):
    """The Slack card of one approval request. ``ts`` is None while a process holds the claim to post it;
    ``shown_status`` is the approval status the card shows now (a sweep updates cards whose status moved)."""

    __tablename__ = "slack_approval_messages"

    approval_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str | None] = mapped_column(String(32))
    shown_status: Mapped[str] = mapped_column(String(16))
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
