"""Research runs: ``/api/v1/backtests`` through the research service; plus seed 000's ``/backtest/{id}/results``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CurrentActor, DatabaseDep
from api.schemas.errors import error_responses
from api.schemas.runs import RunListPublic, RunPublic, RunSummaryPublic
from services.research.service import ResearchService

router = APIRouter(prefix="/api/v1", tags=["backtests"], responses=error_responses(401, 403, 429))

_NAME = r"^[A-Za-z0-9_.\-]+$"
RunId = Annotated[int, Path(ge=1, le=2**63 - 1, description="research run id")]


@router.get("/backtests", response_model=RunListPublic, summary="Research runs, newest first (viewer)")
def list_runs(
    actor: CurrentActor, database: DatabaseDep,
    kind: Annotated[str | None, Query(pattern=_NAME, max_length=32, description="backtest, grid, walk_forward, ...")]
    = None,
    strategy: Annotated[str | None, Query(pattern=_NAME, max_length=64)] = None,
    status: Annotated[str | None, Query(pattern=_NAME, max_length=16, description="queued, running, done, failed")]
    = None,
    symbol: Annotated[str | None, Query(pattern=_NAME, max_length=16, description="runs that traded it")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RunListPublic:
    records = ResearchService(database, actor=actor).records(kind=kind, strategy=strategy, status=status,
                                                             symbol=symbol, limit=limit)
    items = [RunSummaryPublic.model_validate(r.to_dict()) for r in records]
    return RunListPublic(count=len(items), runs=items)


@router.get("/backtests/{run_id}", response_model=RunPublic, responses=error_responses(404, 422),
            summary="One research run with config, hashes, metrics and artifacts (viewer)")
def get_run(actor: CurrentActor, database: DatabaseDep, run_id: RunId) -> RunPublic:
    return RunPublic.model_validate(ResearchService(database, actor=actor).record(run_id).to_dict())


@router.get("/backtest/{run_id}/results", response_model=RunPublic, responses=error_responses(404, 422),
            summary="Seed 000 alias of /backtests/{run_id} (viewer)")
def get_results(actor: CurrentActor, database: DatabaseDep, run_id: RunId) -> RunPublic:
    return RunPublic.model_validate(ResearchService(database, actor=actor).record(run_id).to_dict())
