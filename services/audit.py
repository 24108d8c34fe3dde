"""Reading the audit log: the newest rows and a re-check of the whole hash chain (admin on every interface)."""

from __future__ import annotations

from guardrails.policy import Actor, Operation, require
from memory.audit import AuditEntry, AuditLog, AuditVerification
from memory.db import Database


def verify_audit(actor: Actor, database: Database) -> AuditVerification:
    """Re-check every row of the chain against its hash, its predecessor and the head anchor."""
    require(actor, Operation.READ_AUDIT)
    return AuditLog(database).verify()


def recent_audit(actor: Actor, database: Database, limit: int = 50, *, action: str | None = None
                 ) -> list[AuditEntry]:
    """The newest ``limit`` rows (optionally of one action), newest first."""
    require(actor, Operation.READ_AUDIT)
    return AuditLog(database).recent(limit, action=action)
