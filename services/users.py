"""Users, their keys and their Slack links — and turning a credential into an ``Actor``.

Every interface authenticates here: an API key (API, MCP, the CLI's ``login``), a web session's user, a
linked Slack user id. Creating, revoking and re-roling users and linking Slack accounts are admin
operations, each with its audit row in the same transaction. The very first admin of an install is
created without a key (``bootstrap_admin``, local only), and the audit log says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from errors import AuthenticationError, ConfigError
from guardrails.policy import Actor, Channel, Operation, Role
from memory.db import Database
from memory.users import ApiUser, IssuedKey, UserStore
from services.operations import operation

if TYPE_CHECKING:
    from memory.audit import AuditLog
    from memory.slack_users import SlackLink, SlackUserLinks

BOOTSTRAP_ACTOR = "bootstrap"


def actor_of(user: ApiUser, channel: Channel) -> Actor:
    """The Actor of a stored (authenticated) user acting through ``channel``."""
    return Actor(user.id, user.name, user.role, channel)


def pepper_bytes(pepper: Any) -> bytes:
    """The key pepper (a ``SecretStr`` or None) as bytes for ``UserStore``."""
    return pepper.get_secret_value().encode() if pepper else b""


class UserService:
    """Authentication and user administration on ``database`` (``pepper``: the API key pepper)."""

    def __init__(self, database: Database, *, pepper: bytes = b"", store: UserStore | None = None):
        self.database = database
        self.store = store or UserStore(database, pepper=pepper)

    # the Slack links and the audit log load on first use: authenticating a key (every CLI command) needs neither
    @cached_property
    def links(self) -> SlackUserLinks:
        from memory.slack_users import SlackUserLinks

        return SlackUserLinks(self.database)

    @cached_property
    def audit(self) -> AuditLog:
        from memory.audit import AuditLog

        return AuditLog(self.database)

    # -- who is asking ----------------------------------------------------------------------
    def authenticate(self, api_key: str | None, channel: Channel) -> Actor:
        """The Actor holding ``api_key``; ``AuthenticationError`` naming what is wrong otherwise."""
        if not api_key or not api_key.strip():
            raise AuthenticationError("no API key given")
        user = self.store.authenticate(api_key.strip())
        if user is None:
            raise AuthenticationError("that API key is not valid (unknown, malformed or revoked)")
        return actor_of(user, channel)

    def slack_actor(self, slack_user_id: str) -> Actor | None:
        """The Actor a linked Slack user acts as, or None (not linked, or the user was revoked)."""
        user = self.links.resolve(slack_user_id)
        return None if user is None else actor_of(user, Channel.SLACK)

    def current(self, actor: Actor) -> ApiUser | None:
        """The stored user behind ``actor`` as it is now (None once revoked)."""
        return None if actor.user_id is None else self.store.get_by_id(actor.user_id)

    # -- administration ------------------------------------------------------------------------
    @operation(Operation.MANAGE_USERS)
    def add(self, actor: Actor, name: str, role: Role | str) -> IssuedKey:
        """Create a user and their key (shown once)."""
        issued = self.store.add(name, Role.parse(role))
        self._audit(actor, "user_created", issued.user, {"role": issued.user.role.value})
        return issued

    def bootstrap_admin(self, name: str, channel: Channel = Channel.CLI) -> IssuedKey:
        """The install's first admin, without a key (local set-up only). ConfigError once an admin exists."""
        with self.database.unit_of_work():
            if self.store.count_active(Role.ADMIN):
                raise ConfigError("an admin exists already: sign in as an admin (`quantpilot login`) to add users",
                                  code="admin_exists")
            issued = self.store.add(name, Role.ADMIN)
            self._audit(Actor(None, BOOTSTRAP_ACTOR, Role.ADMIN, channel), "user_created", issued.user,
                        {"role": Role.ADMIN.value, "bootstrap": True})
            return issued

    def provision(self, name: str, role: Role | str, key_file: Path, *, by: str) -> Actor:
        """A local set-up's user (the demo's, an evaluation's): the active user ``name`` whose key is in
        ``key_file``, created (or re-keyed when the file was lost) with the key written there (mode 0600).
        Audited as ``by`` on the CLI; never reachable from a network interface."""
        wanted = Role.parse(role)
        known = key_file.read_text(encoding="utf-8").strip() if key_file.is_file() else None
        user = self.store.authenticate(known) if known else None
        if user is not None and user.name == name and user.role is wanted:
            return actor_of(user, Channel.CLI)
        local = Actor(None, by, Role.ADMIN, Channel.CLI)
        with self.database.unit_of_work():
            if any(u.name == name for u in self.store.list(include_revoked=False)):
                self._audit(local, "user_revoked", self.store.revoke(name), {"reason": "re-keyed by local set-up"})
            issued = self.store.add(name, wanted)
            self._audit(local, "user_created", issued.user, {"role": wanted.value, "local_setup": by})
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.chmod(0o600)
        key_file.write_text(issued.api_key, encoding="utf-8")
        return actor_of(issued.user, Channel.CLI)

    @operation(Operation.READ_USERS, one_transaction=False)
    def list(self, actor: Actor, *, include_revoked: bool = True) -> list[ApiUser]:
        return self.store.list(include_revoked=include_revoked)

    @operation(Operation.MANAGE_USERS)
    def revoke(self, actor: Actor, name: str) -> ApiUser:
        """Revoke a user: their key, web sessions and Slack link stop working at once."""
        user = self.store.revoke(name)
        self._audit(actor, "user_revoked", user, {"revoked_at": (user.revoked_at or datetime.now(UTC))})
        return user

    @operation(Operation.MANAGE_USERS)
    def set_role(self, actor: Actor, name: str, role: Role | str) -> ApiUser:
        before = self.store.get(name)
        user = self.store.set_role(name, role)
        self._audit(actor, "user_role_changed", user, {"from": before.role.value, "to": user.role.value})
        return user

    @operation(Operation.LINK_SLACK)
    def link_slack(self, actor: Actor, name: str, slack_user_id: str) -> SlackLink:
        link = self.links.link(name, slack_user_id, linked_by=actor.name)
        self.audit.append(actor.name, actor.channel.value, "slack_linked", f"user:{link.user_id}",
                          {"slack_user_id": link.slack_user_id, "user": link.user_name})
        return link

    @operation(Operation.LINK_SLACK)
    def unlink_slack(self, actor: Actor, slack_user_id: str) -> SlackLink:
        link = self.links.unlink(slack_user_id)
        self.audit.append(actor.name, actor.channel.value, "slack_unlinked", f"user:{link.user_id}",
                          {"slack_user_id": link.slack_user_id})
        return link

    @operation(Operation.READ_USERS, one_transaction=False)
    def slack_links(self, actor: Actor) -> list[SlackLink]:
        return self.links.list()

    def _audit(self, actor: Actor, action: str, user: ApiUser, payload: dict[str, Any]) -> None:
        self.audit.append(actor.name, actor.channel.value, action, f"user:{user.id}",
                          {"name": user.name, **payload})
