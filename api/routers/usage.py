"""``GET /api/v1/usage``: model calls, tokens, latency and dollars from the usage ledger (viewers and traders
see their own, approvers and admins anyone's: ``services.usage_ledger.visible``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DatabaseDep, ViewerUser
from api.routers.runtime import SettingsDep
from api.schemas.errors import error_responses
from api.schemas.usage import UsagePublic

router = APIRouter(prefix="/api/v1/usage", tags=["usage"], responses=error_responses(401, 403, 429))


@router.get("", response_model=UsagePublic, responses=error_responses(400, 422),
            summary="Model usage per model and in total, for a thread, a user and/or a period (viewer)")
def get_usage(user: ViewerUser, database: DatabaseDep, settings: SettingsDep,
              thread_id: Annotated[str | None, Query(max_length=128)] = None,
              user_id: Annotated[str | None, Query(alias="user", max_length=128)] = None,
              since: Annotated[str | None, Query(max_length=40, description="date, date-time or 24h / 7d")] = None,
              ) -> UsagePublic:
    from memory.model_calls import UsageFilter
    from services.usage_ledger import database_ledger, parse_since, visible

    chosen = visible(UsageFilter(thread_id=thread_id, user_id=user_id, since=parse_since(since, datetime.now(UTC))),
                     user=user.name, role=str(getattr(user.role, "value", user.role)))
    return UsagePublic.model_validate(database_ledger(database, settings).report(chosen).to_dict())
