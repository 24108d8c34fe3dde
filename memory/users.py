"""API users and their keys: issue, list, revoke, authenticate. Keys are stored only as salted hashes.

A key reads ``qp_<key_id>_<secret>``: ``key_id`` (12 hex characters) is public and finds the row;
``secret`` (256 random bits) is checked against ``HMAC-SHA256(pepper, salt || secret)`` with a
constant-time comparison. The full key is returned once, by :meth:`UserStore.add`, and never again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from errors import ConfigError, NotFoundError
from guardrails.policy import Role
from memory.data_version import NOTIFY_USERS, note_users_changed
from memory.db import Database

KEY_PREFIX = "qp_"
_KEY_ID_HEX = 12
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_COLUMNS = "id, name, role, key_id, created_at, revoked_at"


@dataclass(frozen=True)
class ApiUser:
    """An API key holder as stored (never the key)."""

    id: int
    name: str
    role: Role
    key_id: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role.value, "key_id": self.key_id,
                "created_at": self.created_at, "revoked_at": self.revoked_at, "active": self.active}


@dataclass(frozen=True)
class IssuedKey:
    """A new user and their API key: the only time the key is ever available."""

    user: ApiUser
    api_key: str


def split_key(api_key: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed key, else None."""
    head = len(KEY_PREFIX) + _KEY_ID_HEX
    if len(api_key) < head + 2 or not api_key.startswith(KEY_PREFIX) or api_key[head] != "_":
        return None
    return api_key[len(KEY_PREFIX):head], api_key[head + 1:]


def hash_secret(secret: str, salt: str, pepper: bytes) -> str:
    """Hex HMAC-SHA256 of ``salt || secret`` keyed by the pepper (an empty pepper is allowed)."""
    return hmac.new(pepper or b"quantpilot", (salt + secret).encode(), hashlib.sha256).hexdigest()


class UserStore:
    """The API-user repository. ``pepper`` is a server-side secret mixed into every key hash."""

    def __init__(self, database: Database, *, pepper: bytes = b""):
        self.database = database
        self._pepper = pepper

    def add(self, name: str, role: Role | str) -> IssuedKey:
        """Create an active user with a fresh key. ConfigError if the name is taken or malformed."""
        if not _NAME.match(name):
            raise ConfigError(f"invalid user name {name!r}: letters, digits and _.@- only, at most 64",
                              code="invalid_name")
        role = Role.parse(role)
        key_id, secret, salt = secrets.token_hex(_KEY_ID_HEX // 2), secrets.token_urlsafe(32), secrets.token_hex(16)
        try:
            with self.database.begin() as conn:
                row = conn.execute(
                    text(f"INSERT INTO api_users (name, role, key_id, key_salt, key_hash) VALUES (:n, :r, :k, :s, :h)"
                         f" RETURNING {_COLUMNS}"),
                    {"n": name, "r": role.value, "k": key_id, "s": salt, "h": hash_secret(secret, salt, self._pepper)},
                ).one()
        except IntegrityError as exc:
            raise ConfigError(f"user {name!r} already exists; revoke it first", code="user_exists") from exc
        return IssuedKey(_user(row), f"{KEY_PREFIX}{key_id}_{secret}")

    def list(self, *, include_revoked: bool = True) -> list[ApiUser]:
        where = "" if include_revoked else "WHERE revoked_at IS NULL"
        with self.database.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT {_COLUMNS} FROM api_users {where} ORDER BY name, id")).all()
        return [_user(row) for row in rows]

    def get(self, name: str) -> ApiUser:
        """The active user called ``name``; NotFoundError otherwise."""
        with self.database.engine.connect() as conn:
            row = conn.execute(text(f"SELECT {_COLUMNS} FROM api_users WHERE name = :n AND revoked_at IS NULL"),
                               {"n": name}).first()
        if row is None:
            raise NotFoundError(f"no active user {name!r}")
        return _user(row)

    def revoke(self, name: str) -> ApiUser:
        """Revoke the active user ``name`` (their key stops working); NotFoundError if none."""
        try:
            with self.database.begin() as conn:
                row = conn.execute(
                    text(f"UPDATE api_users SET revoked_at = now() WHERE name = :n AND revoked_at IS NULL"
                         f" RETURNING {_COLUMNS}"), {"n": name},
                ).first()
                if row is not None:
                    conn.execute(text(NOTIFY_USERS))  # every API worker drops its cached keys on commit
        finally:
            note_users_changed()
        if row is None:
            raise NotFoundError(f"no active user {name!r}")
        return _user(row)

    def set_role(self, name: str, role: Role | str) -> ApiUser:
        """Give the active user ``name`` another role (at once on every interface); NotFoundError if none."""
        role = Role.parse(role)
        try:
            with self.database.begin() as conn:
                row = conn.execute(
                    text(f"UPDATE api_users SET role = :r WHERE name = :n AND revoked_at IS NULL RETURNING {_COLUMNS}"),
                    {"r": role.value, "n": name}).first()
                if row is not None:
                    conn.execute(text(NOTIFY_USERS))
        finally:
            note_users_changed()
        if row is None:
            raise NotFoundError(f"no active user {name!r}")
        return _user(row)

    def count_active(self, role: Role | None = None) -> int:
        """How many active users there are (of ``role``, if given)."""
        where = "revoked_at IS NULL" + (" AND role = :r" if role else "")
        with self.database.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM api_users WHERE {where}"),
                                    {"r": role.value if role else None}).scalar_one())

    def get_by_id(self, user_id: int) -> ApiUser | None:
        """The active user with ``user_id``, or None."""
        with self.database.engine.connect() as conn:
            row = conn.execute(text(f"SELECT {_COLUMNS} FROM api_users WHERE id = :i AND revoked_at IS NULL"),
                               {"i": user_id}).first()
        return None if row is None else _user(row)

    def authenticate(self, api_key: str) -> ApiUser | None:
        """The active user holding ``api_key``, or None (unknown, malformed, revoked or wrong secret)."""
        parts = split_key(api_key)
        if parts is None:
            return None
        key_id, secret = parts
        with self.database.engine.connect() as conn:
            row = conn.execute(
                text(f"SELECT {_COLUMNS}, key_salt, key_hash FROM api_users WHERE key_id = :k AND revoked_at IS NULL"),
                {"k": key_id},
            ).first()
        if row is None:
            hash_secret(secret, "0" * 32, self._pepper)  # same work whether or not the key id exists
            return None
        if not hmac.compare_digest(hash_secret(secret, row.key_salt, self._pepper), row.key_hash):
            return None
        return _user(row)


def _user(row) -> ApiUser:
    return ApiUser(row.id, row.name, Role(row.role), row.key_id, row.created_at, row.revoked_at)
