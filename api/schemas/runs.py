"""Research runs (backtests, grids, walk-forwards, Monte Carlo) as stored by ``memory.runs.RunStore``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_EXAMPLE = {
    "id": 7, "kind": "backtest", "status": "done", "strategy": "sma_cross", "symbols": ["AAPL"],
    "created_by": "alice", "created_at": "2024-01-06T10:00:00Z", "finished_at": "2024-01-06T10:00:03Z",
    "metrics": {"sharpe": 1.12, "max_drawdown_pct": 18.4, "trades": 41},
}


class RunSummaryPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: int
    kind: str = Field(description="backtest | grid | walk_forward | monte_carlo | optimisation ...")
    status: str = Field(description="running | done | failed")
    strategy: str | None
    symbols: list[Any]
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    metrics: dict[str, Any]


class RunPublic(RunSummaryPublic):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_EXAMPLE, "params": {"fast": 10, "slow": 50}, "config": {"fees_bps": 1.0}, "config_hash": "9f2c...",
        "data_hash": "41ab...", "code_version": "b3249a1", "summary": {}, "artifacts": {}, "error": None,
        "parent_id": None}]})

    params: dict[str, Any]
    config: dict[str, Any]
    config_hash: str | None
    data_hash: str | None
    code_version: str | None
    summary: dict[str, Any]
    artifacts: dict[str, Any]
    error: str | None
    parent_id: int | None


class RunListPublic(BaseModel):
    count: int
    runs: list[RunSummaryPublic]
