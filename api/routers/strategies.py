"""Strategies on the promotion ladder: ``/api/v1/strategies`` (seed 002), with stage and transitions.

Registering sets ``draft``; moving up (backtested → paper → live) is only ever a request through the
agent graph, where a person approves it — there is no route that sets a stage directly.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import DatabaseDep, TraderUser, ViewerUser
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
from errors import NotFoundError
from memory.ladder import StrategyRecord, StrategyRegistry
from quant.strategies.registry import list_strategies, validate_params

router = APIRouter(prefix="/api/v1/strategies", tags=["strategies"], responses=error_responses(401, 403, 429))
StrategyId = Annotated[str, Path(pattern=STRATEGY_ID, description="e.g. sma_crossover_aapl")]


def strategy_public(registry: StrategyRegistry, record: StrategyRecord) -> StrategyPublic:
    transitions = [asdict(t) for t in registry.transitions(record.id)]
    return StrategyPublic(**asdict(record), transitions=transitions)


def stored(registry: StrategyRegistry, strategy_id: str) -> StrategyRecord:
    record = registry.get(strategy_id)
    if record is None:
        raise NotFoundError(f"strategy {strategy_id!r} does not exist", code="strategy_not_found")
    return record


@router.get("", response_model=StrategyListPublic, summary="Strategies with their stage, and the catalogue (viewer)")
def list_(user: ViewerUser, database: DatabaseDep) -> StrategyListPublic:
    registry = StrategyRegistry(database)
    items = [strategy_public(registry, r) for r in registry.list()]
    kinds = [StrategyKindPublic.model_validate(asdict(s)) for s in list_strategies()]
    return StrategyListPublic(count=len(items), strategies=items, kinds=kinds)


@router.get("/{strategy_id}", response_model=StrategyPublic, responses=error_responses(404, 422),
            summary="One strategy with its stage transitions (viewer)")
def get(user: ViewerUser, database: DatabaseDep, strategy_id: StrategyId) -> StrategyPublic:
    registry = StrategyRegistry(database)
    return strategy_public(registry, stored(registry, strategy_id))


@router.post("", response_model=StrategyPublic, status_code=201, responses=error_responses(400, 422),
             summary="Register a strategy at draft, or change its parameters (back to draft) (trader)")
def create(user: TraderUser, database: DatabaseDep, body: StrategyCreate) -> StrategyPublic:
    params = validate_params(body.kind, body.params).model_dump(mode="json")
    registry = StrategyRegistry(database)
    return strategy_public(registry, registry.register(body.id, body.name or body.id, body.kind, params))


@router.post("/{strategy_id}/backtest", response_model=JobAccepted, status_code=202,
             responses=error_responses(400, 404, 422), summary="Seed 002: backtest the strategy as a job (trader)")
def backtest(user: TraderUser, database: DatabaseDep, jobs: ResearchJobsDep, strategy_id: StrategyId,
             body: StrategyBacktestRequest) -> JobAccepted:
    record = stored(StrategyRegistry(database), strategy_id)
    request = BacktestRequest(strategy=record.kind, params=record.params, **body.model_dump())
    return submit_job(jobs, database, "backtest", request, user)


@router.post("/{strategy_id}/promotions", response_model=TurnPublic, responses=error_responses(404, 409, 422),
             summary="Ask to move the strategy up the ladder; answers with the pending approval (trader)")
def promote(user: TraderUser, database: DatabaseDep, runtime: AgentRuntimeDep, strategy_id: StrategyId,
            body: PromotionRequest) -> TurnPublic:
    stored(StrategyRegistry(database), strategy_id)
    what = f"run {body.run_id}" if body.run_id else f"strategy {strategy_id}"
    turn = run_turn_for(runtime, body.thread_id or new_thread_id(), user, f"promote {what} to {body.to_stage}")
    return TurnPublic.model_validate(turn.to_dict())
