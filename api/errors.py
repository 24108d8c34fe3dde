"""Every error leaves the API as ``{"error": {"code", "message"[, "details"]}}`` with a fitting status.

QuantpilotError subclasses map to 4xx (503 for the database); FastAPI's validation errors to 422;
HTTP errors keep their status; anything unexpected is logged and becomes a bare 500 (see
``api.security.UnexpectedErrorMiddleware``), never a stack trace.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from errors import (
    ApprovalError,
    AuthenticationError,
    BrokerError,
    ConfigError,
    DatabaseError,
    DataError,
    ModelServerError,
    ModelTimeoutError,
    NotFoundError,
    PermissionDenied,
    QuantpilotError,
    QuotaExceeded,
    RiskRejected,
    TemporaryBrokerError,
)
from guardrails.redaction import redact, redact_value

log = logging.getLogger("quantpilot.api")

# Most specific first: the first class an error is an instance of decides its status.
STATUS_BY_ERROR: tuple[tuple[type[QuantpilotError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDenied, 403),
    (NotFoundError, 404),
    (QuotaExceeded, 429),
    (ApprovalError, 409),
    (RiskRejected, 422),
    (DataError, 422),
    (ConfigError, 400),
    (DatabaseError, 503),
    (TemporaryBrokerError, 503),
    (BrokerError, 502),
    (ModelTimeoutError, 504),
    (ModelServerError, 502),
)

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "payload_too_large",
               415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited",
               500: "internal_error", 503: "unavailable"}


def status_for(exc: QuantpilotError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 400


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> bytes:
    """The JSON envelope; secrets in the message and details are masked (an error may echo the request)."""
    error: dict[str, Any] = {"code": code, "message": redact(message)}
    if details:
        error["details"] = redact_value(details)
    return json.dumps({"error": error}, default=str, allow_nan=False).encode()


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    return Response(error_body(code, message, details), status_code=status, media_type="application/json",
                    headers=headers)


async def _quantpilot_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QuantpilotError)
    status = status_for(exc)
    if status >= 500:
        log.warning("request failed: %s %s -> %s %s", request.method, request.url.path, status, exc.code)
    details = _jsonable(exc.details)
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, QuotaExceeded) else None
    return error_response(status, exc.code, exc.message.splitlines()[0] if exc.message else exc.code, details,
                          headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
                for e in exc.errors()]
    first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"]) or "request"
    return error_response(422, "validation_error", f"{where}: {first['msg']}", {"errors": problems[:20]})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return error_response(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    """A dropped or refused database connection (server restarted, pool exhausted): retryable 503."""
    unavailable = isinstance(exc, PoolTimeout | OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)
    if not unavailable:
        raise exc
    log.warning("database unavailable during %s %s: %s", request.method, request.url.path, exc.__class__.__name__)
    return error_response(503, "database_unavailable", "the database is unavailable; retry shortly",
                          headers={"Retry-After": "1"})


def _jsonable(details: dict[str, Any]) -> dict[str, Any] | None:
    if not details:
        return None
    try:
        return json.loads(json.dumps(details, default=str, allow_nan=False))
    except (TypeError, ValueError):
        return {"note": "details not serialisable"}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QuantpilotError, _quantpilot_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
