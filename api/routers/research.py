"""Research as background jobs: backtests, grids, walk-forwards, Monte Carlo (202 + run id), plus
portfolio optimisation and run comparison (answered at once) and a run's HTML report.

A job's status is its run's: ``GET /api/v1/backtests/{run_id}`` (queued → running → done | failed).
Requests are checked before they are queued (``services.research.requests``: strategy, parameters, stored
symbols, source run), so a bad request is a 4xx now rather than a failed job later.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel

from api.deps import CurrentActor, DatabaseDep, RunStoreDep
from api.jobs import ResearchJobs, ResearchJobsDep
from api.routers.runtime import SettingsDep
from api.schemas.errors import error_responses
from api.schemas.research import (
    BacktestRequest,
    ComparePublic,
    CompareRequest,
    GridRequest,
    JobAccepted,
    MonteCarloRequest,
    OptimizeRequest,
    ReportPublic,
    ResearchResultPublic,
    WalkForwardRequest,
)
from errors import NotFoundError
from guardrails.policy import Actor
from quant.reports.plotly_bundle import self_contained
from services.research.service import ResearchService

router = APIRouter(prefix="/api/v1", tags=["research"], responses=error_responses(401, 403, 429))
RunId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="research run id")]
JOB_RESPONSES = error_responses(400, 404, 413, 422)
# The downloaded report has plotly.js inlined: inline scripts and styles may run, nothing may load from anywhere.
REPORT_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
              "font-src data:; frame-ancestors 'none'")


def submit_job(jobs: ResearchJobs, kind: str, request: BaseModel, actor: Actor) -> JSONResponse:
    """Check, queue and answer 202 with the run id, its status and where to look."""
    # the job runner checks the role before it looks at the request (a viewer learns nothing about it), then the
    # request (services.research.requests), the budget and the quotas
    record = jobs.submit(actor, kind, request.model_dump(mode="json"))
    status_url = f"/api/v1/backtests/{record.id}"
    body = JobAccepted(run_id=record.id, kind=kind, status=record.status,
                       links={"status": status_url, "report": f"{status_url}/report"})
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": status_url})


@router.post("/backtests", response_model=JobAccepted, status_code=202, responses=JOB_RESPONSES,
             summary="Start a backtest as a background job (trader)")
def start_backtest(actor: CurrentActor, jobs: ResearchJobsDep, body: BacktestRequest):
    return submit_job(jobs, "backtest", body, actor)


@router.post("/backtest/run", response_model=JobAccepted, status_code=202, responses=JOB_RESPONSES,
             summary="Seed 000 alias of POST /backtests (trader)")
def run_backtest(actor: CurrentActor, jobs: ResearchJobsDep, body: BacktestRequest):
    return submit_job(jobs, "backtest", body, actor)


@router.post("/research/grid", response_model=JobAccepted, status_code=202, responses=JOB_RESPONSES,
             summary="Start a parameter grid as a background job (trader)")
def start_grid(actor: CurrentActor, jobs: ResearchJobsDep, body: GridRequest):
    return submit_job(jobs, "grid", body, actor)


@router.post("/research/walk-forward", response_model=JobAccepted, status_code=202, responses=JOB_RESPONSES,
             summary="Start a walk-forward as a background job (trader)")
def start_walk_forward(actor: CurrentActor, jobs: ResearchJobsDep, body: WalkForwardRequest):
    return submit_job(jobs, "walk_forward", body, actor)


@router.post("/research/monte-carlo", response_model=JobAccepted, status_code=202, responses=JOB_RESPONSES,
             summary="Start a Monte Carlo of a finished run as a background job (trader)")
def start_monte_carlo(actor: CurrentActor, jobs: ResearchJobsDep, body: MonteCarloRequest):
    return submit_job(jobs, "monte_carlo", body, actor)


@router.post("/portfolio/optimize", response_model=ResearchResultPublic, responses=error_responses(400, 422),
             summary="Optimise portfolio weights on stored closes; recorded as a run (trader)")
def optimize(actor: CurrentActor, jobs: ResearchJobsDep, body: OptimizeRequest) -> ResearchResultPublic:
    """Answered when done, like the CLI; it runs as a job in a worker process (the budget, the per-user quota and
    the memory limit of every research job), never in the API process."""
    from services.research.placement import ResearchPlacement

    request = body.model_dump(mode="json")
    result = ResearchPlacement(jobs.database, jobs=jobs).run(actor, "optimize", request)
    return ResearchResultPublic.model_validate(result)


@router.post("/research/compare", response_model=ComparePublic, responses=error_responses(400, 404, 422),
             summary="Headline metrics of runs side by side, and the best on each (viewer)")
def compare(actor: CurrentActor, database: DatabaseDep, body: CompareRequest) -> ComparePublic:
    return ComparePublic.model_validate(ResearchService(database, actor=actor).compare(body.run_ids))


@router.post("/backtest/{run_id}/compare", response_model=ComparePublic, responses=error_responses(400, 404, 422),
             summary="Seed 000: compare this run with others (viewer)")
def compare_with(actor: CurrentActor, database: DatabaseDep, run_id: RunId, body: CompareRequest) -> ComparePublic:
    return ComparePublic.model_validate(ResearchService(database, actor=actor).compare([run_id, *body.run_ids]))


@router.get("/backtests/{run_id}/report", response_model=ReportPublic, responses={
    200: {"content": {"text/html": {}}, "description": "one self-contained page (plotly inlined, no network); "
                                                       "with `Accept: application/json` only, its description"},
    **error_responses(404, 422)}, summary="Download a run's HTML report (viewer)")
def report(actor: CurrentActor, runs: RunStoreDep, settings: SettingsDep, run_id: RunId,
           accept: Annotated[str | None, Header()] = None):
    research = ResearchService(runs.database, settings.artifacts_dir, actor=actor)
    record = research.record(run_id)
    stored = record.artifacts.get("report")
    if not stored and record.status == "done":  # a run made without one (the agents' tools): render it now
        stored = str(research.report(run_id))
    if not stored:
        raise NotFoundError(f"run {run_id} ({record.kind}, {record.status}) has no HTML report",
                            code="report_not_found")
    path = Path(stored).resolve()
    if not path.is_relative_to(Path(settings.artifacts_dir).resolve()) or not path.is_file():
        raise NotFoundError(f"the report of run {run_id} is not in the artifacts directory", code="report_not_found")
    html = self_contained(path.read_text(encoding="utf-8"))  # a download stands alone: plotly.js inlined
    filename = f"quantpilot-run-{run_id}-report.html"
    if accept and "application/json" in accept and "text/html" not in accept:
        return ReportPublic(run_id=run_id, filename=filename, size_bytes=len(html.encode()),
                            sha256=hashlib.sha256(html.encode()).hexdigest())
    return HTMLResponse(html, headers={
        "Content-Security-Policy": REPORT_CSP,
        "Content-Disposition": f'attachment; filename="{filename}"'})
