"""The audit log: an append-only, hash-chained record of every state-changing action.

Each row's ``hash`` is the SHA-256 of the canonical JSON (sorted keys, no spaces, ASCII) of
``[seq, ts (ISO 8601, UTC), actor, channel, action, subject, payload, prev_hash]``, and its
``prev_hash`` is the previous row's hash (``GENESIS_HASH`` for seq 1). The database refuses
UPDATE and DELETE of audit rows (trigger ``audit_log_append_only``); ``verify`` re-checks the
chain for what a superuser could still do with the trigger disabled.

Limit: SHA-256 is unkeyed, so someone who can write the table *and* recompute hashes can
forge a consistent tail. Record ``AuditVerification.head_hash`` somewhere else (a ticket, a
daily summary) to anchor the chain outside the database.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from sqlalchemy import Connection, text

from errors import ConfigError, DatabaseError
from guardrails.redaction import redact_value
from memory.db import Database
from memory.models.audit import AUDIT_CHANNELS

GENESIS_HASH = "0" * 64
_COUNTERS: ContextVar[tuple[AppendCounter, ...]] = ContextVar("quantpilot_audit_counters", default=())


@dataclass
class AppendCounter:
    """The audit rows appended in this thread or task while ``counting_appends()`` is open (their actions)."""

    actions: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.actions)


@contextmanager
def counting_appends() -> Iterator[AppendCounter]:
    """Count the audit rows appended inside the block (a test proves an operation audits what it changes)."""
    counter = AppendCounter()
    token = _COUNTERS.set((*_COUNTERS.get(), counter))
    try:
        yield counter
    finally:
        _COUNTERS.reset(token)
_APPEND_LOCK_KEY = 7_104_202_613  # advisory lock: the first append of all (no head row to lock yet)



class AuditChannel(StrEnum):
    """Where an audited action came from (the table's check constraint lists the same values)."""

    CLI = "cli"
    API = "api"
    WEB = "web"
    SLACK = "slack"
    MCP = "mcp"
    GRAPH = "graph"
    SYSTEM = "system"



class AuditProblem(StrEnum):
    """How the chain is broken at ``first_bad_seq``."""

    CHANGED = "changed"  # a row's content no longer matches its hash, or a row was re-hashed
    DELETED = "deleted"  # a seq is missing (gap, renumbered successors, or a cut tail)
    INSERTED = "inserted"  # a row nothing links to, or a row beyond the head anchor


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: datetime
    actor: str
    channel: str
    action: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ts": self.ts.isoformat()}


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of re-checking the whole chain; ``head_*`` name the newest row when ok."""

    ok: bool
    rows_checked: int
    first_bad_seq: int | None
    problem: AuditProblem | None
    detail: str = ""
    head_seq: int | None = None
    head_hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "problem": self.problem.value if self.problem else None}

    def message(self) -> str:
        """One line for people: what is wrong and where, or that the chain is intact."""
        if self.ok:
            return f"audit chain intact: {self.rows_checked} rows, head seq {self.head_seq}"
        where = f"at seq {self.first_bad_seq}" if self.first_bad_seq is not None else "at its head"
        return f"audit chain broken {where}: {self.problem} ({self.detail})"


def _canonical(value: Any) -> Any:
    """Plain JSON values that survive a JSONB round trip unchanged (integral floats become ints)."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")  # Postgres text cannot hold NUL
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"audit payload holds a non-finite number {value!r}", details={"value": str(value)})
        return int(value) if value.is_integer() else value
    if isinstance(value, Enum):
        return _canonical(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, ASCII only: the exact bytes that are hashed."""
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()


def entry_hash(
    seq: int, ts: datetime, actor: str, channel: str, action: str, subject: str, payload: Any, prev_hash: str
) -> str:
    """SHA-256 (hex) of the canonical JSON of one row's content and its predecessor's hash."""
    body = canonical_json([seq, _iso(ts), actor, channel, action, subject, payload, prev_hash])
    return hashlib.sha256(body.encode("ascii")).hexdigest()


_COLUMNS = "seq, ts, actor, channel, action, subject, payload, prev_hash, hash"
_LOCK_HEAD = text("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
_INSERT_AND_MOVE_HEAD = text(
    f"WITH new_row AS (INSERT INTO audit_log ({_COLUMNS}) VALUES (:seq, :ts, :actor, :channel, :action, :subject, "
    "CAST(:payload AS jsonb), :prev_hash, :hash) RETURNING seq, hash) "
    "INSERT INTO audit_head (id, seq, hash) SELECT 1, seq, hash FROM new_row ON CONFLICT (id) DO UPDATE "
    "SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, updated_at = now()")


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(int(row.seq), row.ts.astimezone(UTC), row.actor, row.channel, row.action, row.subject,
                      dict(row.payload), row.prev_hash, row.hash)


class AuditLog:
    """Appends to and verifies the audit chain. ``clock`` returns an aware datetime (tests pass a fixed one)."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] | None = None):
        self._db = database
        self._clock = clock or (lambda: datetime.now(UTC))

    def append(
        self,
        actor: str,
        channel: str,
        action: str,
        subject: str,
        payload: Mapping[str, Any] | None = None,
        *,
        connection: Connection | None = None,
    ) -> AuditEntry:
        """Record one action; secrets in ``payload`` are masked before anything is stored or hashed.

        With ``connection`` the row joins the caller's transaction (it disappears if that rolls
        back, leaving no gap), and the advisory lock serialising appends is held until the caller
        commits — keep such transactions short.
        """
        if channel not in AUDIT_CHANNELS:
            raise ConfigError(f"unknown audit channel {channel!r}; expected one of {', '.join(AUDIT_CHANNELS)}",
                              details={"channel": channel})
        if not actor or not action:
            raise ConfigError("an audit entry needs an actor and an action", details={"actor": actor, "action": action})
        clean = _canonical(redact_value(dict(payload or {})))
        if connection is None:
            with self._db.begin() as conn:
                return self._append(conn, actor, channel, action, subject, clean)
        return self._append(connection, actor, channel, action, subject, clean)

    def _append(self, conn: Connection, actor: str, channel: str, action: str, subject: str,
                payload: dict[str, Any]) -> AuditEntry:
        """Three round trips: lock the head row, then the row and the head's move in one statement.

        Appends serialise on the head row (``FOR UPDATE`` waits for the writer before and then reads the head
        it left). Only the very first append finds no head row to lock; it serialises on an advisory lock
        and reads again, so two first appends cannot both take seq 1. The head's trigger still checks the
        row it moves onto: a trigger function sees the rows its own statement inserted before it.
        """
        head = conn.execute(_LOCK_HEAD).first()
        if head is None:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK_KEY})
            head = conn.execute(_LOCK_HEAD).first()
        if head is None:
            rows = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
            if rows:
                raise DatabaseError(f"the audit head anchor is missing while {rows} audit rows exist; "
                                    "run `quantpilot audit verify`", code="audit_chain_broken")
            seq, prev_hash = 1, GENESIS_HASH
        else:
            seq, prev_hash = int(head.seq) + 1, head.hash
        ts = self._clock().astimezone(UTC)
        digest = entry_hash(seq, ts, actor, channel, action, subject, payload, prev_hash)
        conn.execute(_INSERT_AND_MOVE_HEAD, {
            "seq": seq, "ts": ts, "actor": actor, "channel": channel, "action": action, "subject": subject,
            "payload": canonical_json(payload), "prev_hash": prev_hash, "hash": digest})
        for counter in _COUNTERS.get():
            counter.actions.append(action)
        return AuditEntry(seq, ts, actor, channel, action, subject, payload, prev_hash, digest)

    def recent(self, limit: int = 50, *, action: str | None = None) -> list[AuditEntry]:
        """The newest ``limit`` entries (optionally of one action), newest first."""
        where = "WHERE action = :action" if action else ""
        with self._db.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT {_COLUMNS} FROM audit_log {where} ORDER BY seq DESC LIMIT :n"),
                                {"n": limit, "action": action}).all()
        return [_entry(r) for r in rows]

    def verify(self, *, batch_size: int = 2000) -> AuditVerification:
        """Re-check every row in seq order against its hash, its predecessor and the head anchor.

        Reads one consistent snapshot (REPEATABLE READ), streaming ``batch_size`` rows at a time.
        """
        with self._db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                head = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
                rows = conn.execution_options(yield_per=batch_size).execute(
                    text(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq"))
                return _walk(rows, head)


def _walk(rows: Any, head: Any) -> AuditVerification:
    """The chain check itself; see ``AuditProblem`` for how each kind of tampering shows."""
    head_seq = int(head.seq) if head is not None else None

    def broken(problem: AuditProblem, seq: int | None, detail: str, checked: int) -> AuditVerification:
        return AuditVerification(False, checked, seq, problem, detail)

    checked, expected_seq, expected_prev, prev = 0, 1, GENESIS_HASH, None
    for row in rows:
        checked += 1
        seq = int(row.seq)
        if head_seq is not None and seq > head_seq:
            return broken(AuditProblem.INSERTED, seq, f"row seq {seq} lies beyond the head anchor (seq {head_seq})",
                          checked)
        if seq != expected_seq:
            return broken(AuditProblem.DELETED, expected_seq,
                          f"seq {expected_seq}..{seq - 1} missing before seq {seq}", checked)
        self_ok = entry_hash(seq, row.ts, row.actor, row.channel, row.action, row.subject, row.payload,
                             row.prev_hash) == row.hash
        if row.prev_hash != expected_prev:
            if prev is not None and row.prev_hash == prev.prev_hash:
                return broken(AuditProblem.INSERTED, int(prev.seq),
                              f"row seq {prev.seq} is skipped by its successor's link", checked)
            if prev is not None and self_ok:
                return broken(AuditProblem.CHANGED, int(prev.seq),
                              f"row seq {prev.seq} was rewritten with a recomputed hash", checked)
            return broken(AuditProblem.DELETED, seq, f"row seq {seq} links to a row that is gone", checked)
        if not self_ok:
            return broken(AuditProblem.CHANGED, seq, f"row seq {seq} no longer matches its hash", checked)
        prev, expected_seq, expected_prev = row, seq + 1, row.hash
    last_seq = expected_seq - 1
    if head is None:
        if checked:
            return broken(AuditProblem.DELETED, None, "the head anchor is missing", checked)
        return AuditVerification(True, 0, None, None, "empty audit log")
    if last_seq < head_seq:
        return broken(AuditProblem.DELETED, last_seq + 1,
                      f"rows after seq {last_seq} missing; the head anchor names seq {head_seq}", checked)
    if head.hash != expected_prev:
        return broken(AuditProblem.CHANGED, head_seq, f"row seq {head_seq} differs from the head anchor", checked)
    return AuditVerification(True, checked, None, None, "", head_seq, head.hash)
