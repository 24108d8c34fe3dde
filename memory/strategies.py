"""The strategies on the promotion ladder: every version of each, its stage, its owner, and each move.

The ladder's rules live in ``guardrails/ladder.py`` and who may change what in ``services/strategies.py``;
this repository stores, and refuses a write whose expectations (stage, version, params hash) no longer
hold, so a stale approval cannot move a strategy whose parameters changed since.

A strategy's row holds its newest version (the one requests and promotions are about). Changing its
parameters past draft makes a new draft version; the version that runs on paper or live keeps its stage
until a newer version is approved to that stage, which retires it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import ApprovalError, NotFoundError
from memory.db import Database
from memory.models.ladder import StageTransition, Strategy, StrategyVersion

RUNNING_STAGES = ("paper", "live")
RETIRED = "retired"


def params_hash(params: dict[str, Any]) -> str:
    """SHA-256 (hex) of the parameters as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class StrategyRecord:
    """A strategy's newest version, its owner (a user id; None for strategies from before owners), and the
    version that runs on paper or live, if any."""

    id: str
    name: str
    kind: str
    stage: str
    version: int
    params: dict[str, Any]
    params_hash: str
    updated_at: datetime
    owner_id: int | None = None
    running_version: int | None = None
    running_stage: str | None = None

    def subject(self) -> dict[str, Any]:
        """What an approval is checked against: stage, version and parameter hash now."""
        return {"stage": self.stage, "version": self.version, "params_hash": self.params_hash}


@dataclass(frozen=True)
class VersionRecord:
    strategy_id: str
    version: int
    name: str
    kind: str
    params: dict[str, Any]
    params_hash: str
    stage: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class TransitionRecord:
    strategy_id: str
    from_stage: str
    to_stage: str
    version: int
    params_hash: str
    approval_id: str | None
    actor: str
    reason: str | None
    created_at: datetime


def _running(s: Session, strategy_id: str) -> StrategyVersion | None:
    return s.scalars(select(StrategyVersion).where(StrategyVersion.strategy_id == strategy_id,
                                                   StrategyVersion.stage.in_(RUNNING_STAGES))
                     .order_by(StrategyVersion.version.desc()).limit(1)).first()


def _strategy(s: Session, row: Strategy) -> StrategyRecord:
    running = _running(s, row.id)
    return StrategyRecord(row.id, row.name, row.kind, row.stage, row.version, dict(row.params), row.params_hash,
                          row.updated_at, row.owner_id, running.version if running else None,
                          running.stage if running else None)


def _version(row: StrategyVersion) -> VersionRecord:
    return VersionRecord(row.strategy_id, row.version, row.name, row.kind, dict(row.params), row.params_hash,
                         row.stage, row.created_by, row.created_at)


class StrategyRegistry:
    """Strategies on the ladder, each version kept."""

    def __init__(self, database: Database):
        self._db = database

    def register(self, strategy_id: str, name: str, kind: str, params: dict[str, Any], *, actor: str = "system",
                 owner_id: int | None = None) -> StrategyRecord:
        """Create the strategy at draft (owned by ``owner_id``), or, when its parameters or kind differ, add a
        new draft version; a new name alone renames it; the same definition again changes nothing."""
        digest = params_hash(params)
        with self._db.session() as s:
            row = s.get(Strategy, strategy_id, with_for_update=True)
            if row is None:
                row = Strategy(id=strategy_id, name=name, kind=kind, stage="draft", version=1, params=params,
                               params_hash=digest, owner_id=owner_id)
                s.add(row)
                s.flush()
                s.add(StrategyVersion(strategy_id=strategy_id, version=1, name=name, kind=kind, params=params,
                                      params_hash=digest, stage="draft", created_by=actor))
            elif (row.params_hash, row.kind) == (digest, kind):
                if row.name != name:  # a new name alone is not a new version
                    row.name, row.updated_at = name, datetime.now(UTC)
                    version = s.get(StrategyVersion, (strategy_id, row.version))
                    if version is not None:
                        version.name = name
            else:
                version = row.version + 1
                s.add(StageTransition(strategy_id=strategy_id, from_stage=row.stage, to_stage="draft",
                                      version=version, params_hash=digest, approval_id=None, actor=actor,
                                      reason=f"new version {version}"))
                s.add(StrategyVersion(strategy_id=strategy_id, version=version, name=name, kind=kind, params=params,
                                      params_hash=digest, stage="draft", created_by=actor))
                row.params, row.params_hash, row.version, row.stage = params, digest, version, "draft"
                row.name, row.kind, row.updated_at = name, kind, datetime.now(UTC)
            s.flush()
            s.refresh(row)
            return _strategy(s, row)

    def get(self, strategy_id: str) -> StrategyRecord | None:
        with self._db.session() as s:
            row = s.get(Strategy, strategy_id)
            return None if row is None else _strategy(s, row)

    def list(self) -> list[StrategyRecord]:
        with self._db.session() as s:
            return [_strategy(s, r) for r in s.scalars(select(Strategy).order_by(Strategy.id))]

    def versions(self, strategy_id: str) -> list[VersionRecord]:
        with self._db.session() as s:
            rows = s.scalars(select(StrategyVersion).where(StrategyVersion.strategy_id == strategy_id)
                             .order_by(StrategyVersion.version))
            return [_version(r) for r in rows]

    def running(self, strategy_id: str) -> VersionRecord | None:
        """The version that trades (the newest at paper or live), or None."""
        with self._db.session() as s:
            row = _running(s, strategy_id)
            return None if row is None else _version(row)

    def transition(
        self,
        strategy_id: str,
        to_stage: str,
        *,
        actor: str,
        expect_stage: str | None = None,
        expect_version: int | None = None,
        expect_params_hash: str | None = None,
        approval_id: str | None = None,
        reason: str | None = None,
    ) -> StrategyRecord:
        """Move the newest version to ``to_stage`` if it is still what the caller saw (ApprovalError if not). A
        version reaching paper or live retires the older version that ran there."""
        with self._db.session() as s:
            row = s.get(Strategy, strategy_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"strategy {strategy_id!r} does not exist", code="strategy_not_found")
            seen = {"stage": expect_stage, "version": expect_version, "params_hash": expect_params_hash}
            now = {"stage": row.stage, "version": row.version, "params_hash": row.params_hash}
            changed = {k: {"expected": v, "now": now[k]} for k, v in seen.items() if v is not None and now[k] != v}
            if changed:
                raise ApprovalError(
                    f"strategy {strategy_id!r} changed since the approval was requested: {changed}",
                    code="stale_evidence", details={"strategy_id": strategy_id, "changed": changed},
                )
            stamp = datetime.now(UTC)
            if to_stage in RUNNING_STAGES:
                older = s.scalars(select(StrategyVersion).where(
                    StrategyVersion.strategy_id == strategy_id, StrategyVersion.version < row.version,
                    StrategyVersion.stage.in_(RUNNING_STAGES)))
                for version in older:
                    s.add(StageTransition(strategy_id=strategy_id, from_stage=version.stage, to_stage=RETIRED,
                                          version=version.version, params_hash=version.params_hash,
                                          approval_id=approval_id, actor=actor,
                                          reason=f"replaced by version {row.version}"))
                    version.stage, version.updated_at = RETIRED, stamp
            s.add(StageTransition(strategy_id=strategy_id, from_stage=row.stage, to_stage=to_stage,
                                  version=row.version, params_hash=row.params_hash, approval_id=approval_id,
                                  actor=actor, reason=reason))
            current = s.get(StrategyVersion, (strategy_id, row.version))
            if current is not None:
                current.stage, current.updated_at = to_stage, stamp
            row.stage, row.updated_at = to_stage, stamp
            s.flush()
            return _strategy(s, row)

    def transitions(self, strategy_id: str) -> list[TransitionRecord]:
        with self._db.session() as s:
            rows = s.scalars(select(StageTransition).where(StageTransition.strategy_id == strategy_id)
                             .order_by(StageTransition.id))
            return [TransitionRecord(r.strategy_id, r.from_stage, r.to_stage, r.version, r.params_hash,
                                     r.approval_id, r.actor, r.reason, r.created_at) for r in rows]
