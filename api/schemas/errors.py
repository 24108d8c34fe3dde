"""The error envelope every non-2xx response uses: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable, e.g. not_found, validation_error, rate_limited")
    message: str = Field(description="one line for a person; names the offending symbol, field or rule")
    details: dict[str, Any] | None = Field(default=None, description="facts behind the error, when any")


class ErrorEnvelope(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"error": {"code": "not_found", "message": "unknown symbol 'ZZZZ'; stored symbols: AAPL, MSFT"}}]})

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the envelope for these status codes."""
    return {status: {"model": ErrorEnvelope} for status in statuses}
