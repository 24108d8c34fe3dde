"""Per-user quotas on interactive work: how many chat turns (and MCP tool calls) one user may have running
at once, every interface and every process together (``QUANTPILOT_CHAT_TURNS_PER_USER``).

Interfaces take ``start_turn(actor)`` before a turn (``with`` it, or ``TurnLease.end`` when the turn outlives
the call, as a stream does); over the limit it raises ``QuotaExceeded`` (API 429 with ``Retry-After``, the
web page and CLI a plain sentence). Research jobs have their own admission (``services.research.jobs``).
quantpilot itself and the keyless local reader (no user id) are not counted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from errors import QuotaExceeded
from guardrails.policy import Actor
from memory.db import Database
from memory.work_leases import LeaseRefused, WorkLeases

TURN = "turn"
TURN_LEASE_TTL_S = 900.0  # a lease outlives a crashed process by at most this long


@dataclass
class TurnLease:
    """One running turn of a user; ``end()`` (idempotent) frees the place."""

    leases: WorkLeases | None
    lease_id: int | None
    _ended: threading.Event = field(default_factory=threading.Event)

    def end(self) -> None:
        if self.lease_id is not None and self.leases is not None and not self._ended.is_set():
            self._ended.set()
            self.leases.end(self.lease_id)

    def __enter__(self) -> TurnLease:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.end()


class UsageQuotas:
    """The per-user limits of ``settings`` (default: ``config.get_settings()``) on ``database``."""

    def __init__(self, database: Database, settings: Any = None):
        if settings is None:
            from config import get_settings

            settings = get_settings()
        self.settings = settings
        self.leases = WorkLeases(database)

    def start_turn(self, actor: Actor) -> TurnLease:
        """Take one of ``actor``'s turn places, or ``QuotaExceeded`` naming the limit and when to retry."""
        if actor.user_id is None:
            return TurnLease(None, None)
        limit = self.settings.chat_turns_per_user
        taken = self.leases.take(actor.user_id, TURN, actor.channel.value, limit, TURN_LEASE_TTL_S)
        if isinstance(taken, LeaseRefused):
            retry = self.settings.quota_retry_after_s
            raise QuotaExceeded(
                f"{actor.name} already has {taken.active} chat turns running, the most one user may have at once "
                f"(QUANTPILOT_CHAT_TURNS_PER_USER={limit}); wait for one to finish and retry in about {retry} s",
                retry_after_s=retry, code="turn_quota_exceeded", details={"active": taken.active, "limit": limit})
        return TurnLease(self.leases, taken)
