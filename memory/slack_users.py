"""Repositories for Slack: user links (Slack user id -> quantpilot API user) and approval cards.

A link names a user by id (never by name: a later user given a revoked user's name inherits nothing); the
role is always read from ``api_users`` at the moment of use, so a revoked user's Slack account stops at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert

from errors import ConfigError, NotFoundError
from memory.db import Database
from memory.models.slack_users import SlackApprovalMessage, SlackUserLink
from memory.users import ApiUser, UserStore

OPEN_STATUSES = ("pending", "approved")
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")


@dataclass(frozen=True)
class SlackLink:
    slack_user_id: str
    user_id: int
    user_name: str | None  # the user's name now; None once the user is revoked
    linked_by: str
    created_at: datetime

    def to_dict(self) -> dict:
        return {"slack_user_id": self.slack_user_id, "user_id": self.user_id, "user_name": self.user_name,
                "linked_by": self.linked_by, "created_at": self.created_at}


class SlackUserLinks:
    """Which Slack user acts as which API user (one API user may have several Slack accounts)."""

    def __init__(self, database: Database):
        self._db = database

    def link(self, user_name: str, slack_user_id: str, *, linked_by: str = "cli") -> SlackLink:
        """Link (or re-link) ``slack_user_id`` to the active user ``user_name`` (stored as the user's id);
        ConfigError for a malformed Slack id, NotFoundError when there is no such active user."""
        slack_user_id = slack_user_id.strip().upper()
        if not _SLACK_USER_ID.match(slack_user_id):
            raise ConfigError(f"not a Slack user id: {slack_user_id!r} (like U012AB3CD)", code="invalid_slack_user")
        user = UserStore(self._db).get(user_name)  # NotFoundError when there is no such active user
        stmt = insert(SlackUserLink).values(slack_user_id=slack_user_id, user_id=user.id, linked_by=linked_by)
        stmt = stmt.on_conflict_do_update(index_elements=["slack_user_id"],
                                          set_={"user_id": user.id, "linked_by": linked_by,
                                                "created_at": datetime.now(UTC)})
        with self._db.session() as s:
            s.execute(stmt)
            row = s.get(SlackUserLink, slack_user_id)
            return SlackLink(row.slack_user_id, row.user_id, user.name, row.linked_by, row.created_at)

    def unlink(self, slack_user_id: str) -> SlackLink:
        with self._db.session() as s:
            row = s.get(SlackUserLink, slack_user_id.strip().upper())
            if row is None:
                raise NotFoundError(f"Slack user {slack_user_id!r} is not linked", code="slack_user_not_linked")
            link = SlackLink(row.slack_user_id, row.user_id, None, row.linked_by, row.created_at)
            s.delete(row)
            return link

    def list(self) -> list[SlackLink]:
        with self._db.begin() as conn:
            rows = conn.execute(text(
                "SELECT l.slack_user_id, l.user_id, u.name, l.linked_by, l.created_at FROM slack_user_links l "
                "LEFT JOIN api_users u ON u.id = l.user_id AND u.revoked_at IS NULL ORDER BY u.name, l.slack_user_id"
            )).all()
        return [SlackLink(r.slack_user_id, r.user_id, r.name, r.linked_by, r.created_at) for r in rows]

    def resolve(self, slack_user_id: str) -> ApiUser | None:
        """The active user this Slack user acts as, or None (unlinked, or the user was revoked)."""
        with self._db.engine.connect() as conn:
            row = conn.execute(text(
                "SELECT u.id, u.name, u.role, u.key_id, u.created_at, u.revoked_at FROM slack_user_links l "
                "JOIN api_users u ON u.id = l.user_id AND u.revoked_at IS NULL WHERE l.slack_user_id = :s"),
                {"s": slack_user_id}).first()
        if row is None:
            return None
        from guardrails.policy import Role

        return ApiUser(row.id, row.name, Role(row.role), row.key_id, row.created_at, row.revoked_at)

    def accept_once(self, digest: str, window_s: int) -> bool:
        """Record a signed request's digest; False when it was seen within the last ``window_s`` seconds (a
        replay). Older digests are pruned as a side effect."""
        with self._db.begin() as conn:
            conn.execute(text("DELETE FROM slack_request_replays WHERE seen_at < now() - make_interval(secs => :w)"),
                         {"w": window_s})
            return conn.execute(text("INSERT INTO slack_request_replays (digest) VALUES (:d) ON CONFLICT DO NOTHING "
                                     "RETURNING digest"), {"d": digest}).first() is not None


@dataclass(frozen=True)
class SlackCard:
    """Where the card of ``approval_id`` is (``ts`` None while being posted) and the status it shows."""

    approval_id: str
    channel: str
    ts: str | None
    shown_status: str


class SlackCards:
    """The Slack message of each approval request. ``claim`` makes posting exactly-once across processes."""

    def __init__(self, database: Database):
        self._db = database

    def claim(self, approval_id: str, channel: str, status: str) -> bool:
        """Reserve the right to post the card of ``approval_id``; False when another process has it already."""
        stmt = insert(SlackApprovalMessage).values(approval_id=approval_id, channel=channel, ts=None,
                                                   shown_status=status).on_conflict_do_nothing()
        with self._db.session() as s:
            return s.execute(stmt.returning(SlackApprovalMessage.approval_id)).first() is not None

    def posted(self, approval_id: str, channel: str, ts: str) -> None:
        """Record where the claimed card was posted (Slack answers with the channel id, not its name)."""
        with self._db.session() as s:
            s.execute(update(SlackApprovalMessage).where(SlackApprovalMessage.approval_id == approval_id)
                      .values(channel=channel, ts=ts, updated_at=datetime.now(UTC)))

    def release(self, approval_id: str) -> None:
        """Give up a claim whose post failed, so a later sweep tries again."""
        with self._db.session() as s:
            s.execute(delete(SlackApprovalMessage).where(SlackApprovalMessage.approval_id == approval_id,
                                                         SlackApprovalMessage.ts.is_(None)))

    def remember(self, approval_id: str, channel: str, ts: str, status: str) -> None:
        """Record a card seen in an interaction (posted by an earlier install, or copied), showing ``status``."""
        stmt = insert(SlackApprovalMessage).values(approval_id=approval_id, channel=channel, ts=ts,
                                                   shown_status=status)
        stmt = stmt.on_conflict_do_update(index_elements=["approval_id"],
                                          set_={"channel": channel, "ts": ts, "shown_status": status,
                                                "updated_at": datetime.now(UTC)})
        with self._db.session() as s:
            s.execute(stmt)

    def shown(self, approval_id: str, status: str) -> None:
        with self._db.session() as s:
            s.execute(update(SlackApprovalMessage).where(SlackApprovalMessage.approval_id == approval_id)
                      .values(shown_status=status, updated_at=datetime.now(UTC)))

    def get(self, approval_id: str) -> SlackCard | None:
        with self._db.session() as s:
            row = s.get(SlackApprovalMessage, approval_id)
            return None if row is None else SlackCard(row.approval_id, row.channel, row.ts, row.shown_status)

    def open_cards(self) -> list[SlackCard]:
        """Posted cards that still show an undecided or not yet applied request (what a sweep may update)."""
        with self._db.session() as s:
            rows = s.scalars(select(SlackApprovalMessage).where(
                SlackApprovalMessage.ts.is_not(None), SlackApprovalMessage.shown_status.in_(OPEN_STATUSES)))
            return [SlackCard(r.approval_id, r.channel, r.ts, r.shown_status) for r in rows]
