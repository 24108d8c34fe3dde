"""Liveness and readiness."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class HealthPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok", "version": "0.1.0"}]})

    status: str
    version: str


class ReadyPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ready", "database": "embedded"}]})

    status: str
    database: str
