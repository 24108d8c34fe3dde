"""``GET /api/v1/usage``: model calls, tokens, latency and dollars from the usage ledger (everyone sees their own,
an admin anyone's: ``services.usage_ledger.UsageLedger.report``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentActor, DatabaseDep
from api.routers.runtime import SettingsDep
from api.schemas.errors import error_responses
from api.schemas.usage import UsagePublic

router = APIRouter(prefix="/api/v1/usage", tags=["usage"], responses=error_responses(401, 403, 429))


@router.get("", response_model=UsagePublic, responses=error_responses(400, 422),
            summary="Model usage per model and in total, for a thread, a user and/or a period (viewer: their "
                    "own; admin: anyone's)")
def get_usage(actor: CurrentActor, database: DatabaseDep, settings: SettingsDep,
              thread_id: Annotated[str | None, Query(max_length=128)] = None,
              user: Annotated[str | None, Query(max_length=200, description="a user's name (admin)")] = None,
              since: Annotated[str | None, Query(max_length=40, description="date, date-time or 24h / 7d")] = None,
              ) -> UsagePublic:
    from services.usage_ledger import database_ledger, parse_since

    report = database_ledger(database, settings).report(actor, thread_id=thread_id, user=user,
                                                        since=parse_since(since, datetime.now(UTC)))
    return UsagePublic.model_validate(report.to_dict())
