"""Liveness (/health), readiness (/ready: the database answers) and Prometheus metrics (/metrics)."""

from __future__ import annotations

import hmac
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from api.deps import ApiSettingsDep, DatabaseDep
from api.schemas.errors import error_responses
from api.schemas.health import HealthPublic, ReadyPublic
from errors import DatabaseError
from quant.monitoring.metrics import REGISTRY as QUANTPILOT_REGISTRY

router = APIRouter(tags=["health"])

try:
    _VERSION = version("quantpilot")
except PackageNotFoundError:  # running from a source tree
    _VERSION = "0.0.0"


@router.get("/health", response_model=HealthPublic, summary="Liveness: the process answers (no auth)")
async def health() -> HealthPublic:
    return HealthPublic(status="ok", version=_VERSION)


@router.get("/ready", response_model=ReadyPublic, responses=error_responses(503),
            summary="Readiness: the database answers (no auth)")
def ready(database: DatabaseDep) -> ReadyPublic:
    try:
        with database.engine.connect() as conn:
            conn.execute(text("select 1"))
    except SQLAlchemyError as exc:
        raise DatabaseError(f"database not reachable: {exc.__class__.__name__}", code="database_unreachable") from exc
    return ReadyPublic(status="ready", database=database.origin)


@router.get("/metrics", response_class=Response,
            summary="Prometheus metrics, text format (no auth unless QUANTPILOT_API_METRICS_KEY is set)",
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
                       **error_responses(401)})
async def metrics(settings: ApiSettingsDep, authorization: Annotated[str | None, Header()] = None) -> Response:
    """quantpilot's registry (orders, approvals, tools, API requests) then the process and GC collectors.
    With ``QUANTPILOT_API_METRICS_KEY`` set, only ``Authorization: Bearer <that key>`` may read them."""
    if settings.metrics_key is not None:
        expected = f"Bearer {settings.metrics_key.get_secret_value()}".encode()
        if not hmac.compare_digest((authorization or "").encode(), expected):
            raise HTTPException(401, "send Authorization: Bearer <the metrics key> (QUANTPILOT_API_METRICS_KEY)",
                                headers={"WWW-Authenticate": 'Bearer realm="quantpilot-metrics"'})
    return Response(generate_latest(QUANTPILOT_REGISTRY) + generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
