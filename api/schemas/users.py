"""API users: Create (request), Public (never the key) and Issued (the key, shown once)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from guardrails.policy import Role


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "alice", "role": "trader"}]})

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
    role: Role


class UserPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "name": "alice", "role": "trader", "key_id": "3f9a0c12d4e5", "created_at": "2024-01-06T10:00:00Z",
        "revoked_at": None, "active": True}]})

    id: int
    name: str
    role: Role
    key_id: str = Field(description="public part of the key (qp_<key_id>_...), safe to log")
    created_at: datetime
    revoked_at: datetime | None
    active: bool


class UserIssued(BaseModel):
    """A new user and their API key. The key is shown here once and cannot be recovered."""

    user: UserPublic
    api_key: str


class UsersPublic(BaseModel):
    count: int
    users: list[UserPublic]


class WhoAmIPublic(BaseModel):
    name: str
    role: Role
    key_id: str
