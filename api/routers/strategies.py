"""Strategies on the promotion ladder: ``/api/v1/strategies`` (seed 002), with stage and transitions.

Registering sets ``draft`` and makes the caller the owner; changing a strategy (owner or approver only)
makes a new draft version while the running one keeps running. Moving up (backtested → paper → live) is
only ever a request through the agent graph, where another person approves it — no route sets a stage.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentActor, CurrentUser, DatabaseDep
from api.jobs import ResearchJobsDep
from api.routers.agent import new_thread_id, run_turn_for
from api.routers.research import submit_job
from api.routers.runtime import AgentRuntimeDep
from api.schemas.agent import TurnPublic
from api.schemas.errors import error_responses
from api.schemas.research import BacktestRequest, JobAccepted, StrategyBacktestRequest
from api.schemas.strategies import (
    STRATEGY_ID,
    PromotionRequest,
    StrategyCreate,
    StrategyKindPublic,
    StrategyListPublic,
    StrategyPublic,
)
from guardrails.policy import Actor
from memory.strategies import StrategyRecord
from quant.strategies.registry import list_strategies, validate_params
from services.strategies import StrategyService

router = APIRouter(prefix="/api/v1/strategies", tags=["strategies"], responses=error_responses(401, 403, 429))
StrategyId = Annotated[str, Path(pattern=STRATEGY_ID, description="e.g. sma_crossover_aapl")]


def strategy_public(service: StrategyService, actor: Actor, record: StrategyRecord) -> StrategyPublic:
    transitions = [asdict(t) for t in service.history(actor, record.id)[1]]
    return StrategyPublic(**asdict(record), transitions=transitions)


@router.get("", response_model=StrategyListPublic, summary="Strategies with their stage, and the catalogue (viewer)")
def list_(actor: CurrentActor, database: DatabaseDep) -> StrategyListPublic:
    service = StrategyService(database)
    items = [strategy_public(service, actor, r) for r in service.list(actor)]
    kinds = [StrategyKindPublic.model_validate(asdict(s)) for s in list_strategies()]
    return StrategyListPublic(count=len(items), strategies=items, kinds=kinds)


@router.get("/{strategy_id}", response_model=StrategyPublic, responses=error_responses(404, 422),
            summary="One strategy with its stage transitions (viewer)")
def get(actor: CurrentActor, database: DatabaseDep, strategy_id: StrategyId) -> StrategyPublic:
    service = StrategyService(database)
    return strategy_public(service, actor, service.get(actor, strategy_id))


@router.post("", response_model=StrategyPublic, status_code=201, responses=error_responses(400, 422),
             summary="Register a strategy at draft, or change yours: a new draft version (trader; owner or "
                     "approver to change)")
def create(actor: CurrentActor, database: DatabaseDep, body: StrategyCreate) -> StrategyPublic:
    params = validate_params(body.kind, body.params).model_dump(mode="json")
    service = StrategyService(database)
    return strategy_public(service, actor, service.register(actor, body.id, body.name or body.id, body.kind, params))


@router.post("/{strategy_id}/backtest", response_model=JobAccepted, status_code=202,
             responses=error_responses(400, 404, 422), summary="Seed 002: backtest the strategy as a job (trader)")
def backtest(actor: CurrentActor, database: DatabaseDep, jobs: ResearchJobsDep, strategy_id: StrategyId,
             body: StrategyBacktestRequest) -> JobAccepted:
    record = StrategyService(database).get(actor, strategy_id)
    request = BacktestRequest(strategy=record.kind, params=record.params, **body.model_dump())
    return submit_job(jobs, "backtest", request, actor)


@router.post("/{strategy_id}/promotions", response_model=TurnPublic, responses=error_responses(404, 409, 422),
             summary="Ask to move the strategy up the ladder; answers with the pending approval (trader)")
def promote(actor: CurrentActor, user: CurrentUser, database: DatabaseDep, runtime: AgentRuntimeDep,
            strategy_id: StrategyId, body: PromotionRequest) -> TurnPublic:
    StrategyService(database).promotable(actor, strategy_id)
    what = f"run {body.run_id}" if body.run_id else f"strategy {strategy_id}"
    turn = run_turn_for(runtime, body.thread_id or new_thread_id(), user, f"promote {what} to {body.to_stage}")
    return TurnPublic.model_validate(turn.to_dict())
