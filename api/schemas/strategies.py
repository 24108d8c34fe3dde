"""Strategies: the catalogue of kinds (``quant.strategies.registry``) and the ladder (``services.strategies``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

STRATEGY_ID = r"^[a-z0-9_.\-]{1,64}$"


class StrategyKindPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "sma_crossover", "description": "fast/slow simple moving-average crossover",
        "params_schema": {"type": "object"}, "defaults": {"fast": 10, "slow": 50}}]})

    name: str
    description: str
    params_schema: dict[str, Any]
    defaults: dict[str, Any]


class TransitionPublic(BaseModel):
    from_stage: str
    to_stage: str
    version: int
    params_hash: str
    approval_id: str | None
    actor: str
    reason: str | None
    created_at: datetime


class StrategyPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "sma_crossover_aapl", "name": "sma_crossover on AAPL", "kind": "sma_crossover", "stage": "backtested",
        "version": 1, "params": {"fast": 10, "slow": 50}, "params_hash": "3f5a…", "updated_at": "2025-03-03T15:00:00Z",
        "transitions": [{"from_stage": "draft", "to_stage": "backtested", "version": 1, "params_hash": "3f5a…",
                         "approval_id": "apr_1a2b3c4d5e6f", "actor": "bob", "reason": "approved",
                         "created_at": "2025-03-03T15:00:00Z"}]}]})

    id: str
    name: str
    kind: str = Field(description="the strategy kind in the catalogue, e.g. sma_crossover")
    stage: str = Field(description="draft | backtested | paper | live | halted")
    version: int
    params: dict[str, Any]
    params_hash: str
    updated_at: datetime
    owner_id: int | None = Field(default=None, description="the user who registered it (None: from before owners)")
    running_version: int | None = Field(default=None, description="the version trading on paper or live, if any")
    running_stage: str | None = None
    transitions: list[TransitionPublic] = []


class StrategyListPublic(BaseModel):
    count: int
    strategies: list[StrategyPublic]
    kinds: list[StrategyKindPublic]


class StrategyCreate(BaseModel):
    """Register a strategy at ``draft`` (or change it: a new draft version; the running one keeps running)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"id": "sma_aapl", "kind": "sma_crossover", "name": "SMA cross on AAPL", "params": {"fast": 10, "slow": 50}}]})

    id: str = Field(pattern=STRATEGY_ID)
    kind: str = Field(pattern=r"^[a-z0-9_]{1,64}$", description="a strategy kind from the catalogue")
    name: str | None = Field(default=None, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)


class PromotionRequest(BaseModel):
    """Ask (through the agent graph) to move a strategy up the ladder; a person decides."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"to_stage": "paper", "run_id": 12}]})

    to_stage: str = Field(pattern=r"^(backtested|paper|live)$")
    run_id: int | None = Field(default=None, ge=1, description="the evidence run (backtest or walk-forward)")
    thread_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")
