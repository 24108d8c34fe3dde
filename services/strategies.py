"""Strategies on the promotion ladder, for an authenticated actor: who owns each, and who may change it.

Registering a new strategy makes the actor its owner. Changing one (its parameters or kind) makes a new
draft version that must climb the ladder again; only the owner or an approver may do it, and the
version that runs on paper or live keeps running until the new one is approved to that stage. Moves up
the ladder happen only through approvals (``ApprovalService`` and the graph's apply step).
"""

from __future__ import annotations

from typing import Any

from errors import NotFoundError, PermissionDenied
from guardrails.policy import Actor, Operation, Role, require
from memory.audit import AuditLog
from memory.db import Database
from memory.strategies import StrategyRecord, StrategyRegistry, TransitionRecord, VersionRecord
from services.operations import operation


class StrategyService:
    """The ladder's strategies on ``database``."""

    def __init__(self, database: Database):
        self.database = database
        self.registry = StrategyRegistry(database)
        self.audit = AuditLog(database)

    @operation(Operation.READ_STRATEGIES, one_transaction=False)
    def list(self, actor: Actor) -> list[StrategyRecord]:
        return self.registry.list()

    @operation(Operation.READ_STRATEGIES, one_transaction=False)
    def get(self, actor: Actor, strategy_id: str) -> StrategyRecord:
        """The strategy; NotFoundError naming it when there is none."""
        record = self.registry.get(strategy_id)
        if record is None:
            raise NotFoundError(f"strategy {strategy_id!r} does not exist", code="strategy_not_found")
        return record

    @operation(Operation.READ_STRATEGIES, one_transaction=False)
    def history(self, actor: Actor, strategy_id: str) -> tuple[list[VersionRecord], list[TransitionRecord]]:
        """Every version of the strategy and every move on the ladder, oldest first."""
        return self.registry.versions(strategy_id), self.registry.transitions(strategy_id)

    def promotable(self, actor: Actor, strategy_id: str) -> StrategyRecord:
        """The strategy a promotion request names (asking needs the trader role; another person decides; the
        request itself is stored, and audited, by the graph's approval node)."""
        require(actor, Operation.REQUEST_PROMOTION)
        record = self.registry.get(strategy_id)
        if record is None:
            raise NotFoundError(f"strategy {strategy_id!r} does not exist", code="strategy_not_found")
        return record

    @operation(Operation.MANAGE_STRATEGY)
    def register(self, actor: Actor, strategy_id: str, name: str, kind: str, params: dict[str, Any]) -> StrategyRecord:
        """Create the strategy (owned by ``actor``), or change it: a new draft version when its parameters or
        kind differ, a rename when only the name does. Only the owner or an approver may change a strategy."""
        before = self.registry.get(strategy_id)
        if before is not None:
            self._may_change(actor, before)
        after = self.registry.register(strategy_id, name, kind, params, actor=actor.name, owner_id=actor.user_id)
        if before is None:
            self._audit(actor, "strategy_registered", after, {"version": after.version, "kind": kind})
        elif after.version != before.version:
            self._audit(actor, "strategy_versioned", after, {
                "from_version": before.version, "from_stage": before.stage, "version": after.version,
                "running_version": after.running_version, "params_hash": after.params_hash})
        elif after.name != before.name:
            self._audit(actor, "strategy_renamed", after, {"from": before.name, "to": after.name})
        return after

    @staticmethod
    def _may_change(actor: Actor, record: StrategyRecord) -> None:
        if actor.role.allows(Role.APPROVER) or (record.owner_id is not None and record.owner_id == actor.user_id):
            return
        raise PermissionDenied(f"strategy {record.id!r} belongs to another user; only its owner or an approver "
                               "may change it (register yours under another id)", code="not_owner",
                               details={"strategy_id": record.id, "owner_id": record.owner_id})

    def _audit(self, actor: Actor, action: str, record: StrategyRecord, payload: dict[str, Any]) -> None:
        self.audit.append(actor.name, actor.channel.value, action, f"strategy:{record.id}",
                          {"name": record.name, "owner_id": record.owner_id, **payload})
