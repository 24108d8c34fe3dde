"""Research requests (backtests, grids, walk-forwards, Monte Carlo, optimisation, comparison) and job answers."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quant.data.symbols import Symbol
from services.research import defaults

Symbols = list[Symbol]  # the one symbol type (quant.data.symbols)


class _Research(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: str = Field(pattern=r"^[a-z0-9_]{1,64}$", description="a strategy kind, e.g. sma_crossover")
    symbols: Symbols = Field(min_length=1, max_length=200)
    start: date | None = Field(default=None, description="first session (inclusive)")
    end: date | None = Field(default=None, description="last session (inclusive)")
    as_of: date | None = Field(default=None, description="point in time of the data; default now")
    config: dict[str, Any] | None = Field(default=None, description="BacktestConfig overrides: initial_capital, "
                                          "commission_per_order, commission_per_share, commission_bps, slippage_bps, "
                                          "sizing, ...")


class BacktestRequest(_Research):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"], "params": {"fast": 10, "slow": 50},
         "start": "2024-01-02", "end": "2024-03-28"}]})

    params: dict[str, Any] | None = None
    engine: Literal["vectorized", "event"] = "vectorized"


class StrategyBacktestRequest(BaseModel):
    """A backtest of a registered strategy (its kind and parameters) on ``symbols``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"symbols": ["AAPL"], "start": "2024-01-02", "end": "2024-03-28"}]})

    symbols: Symbols = Field(min_length=1, max_length=200)
    start: date | None = None
    end: date | None = None
    as_of: date | None = None
    config: dict[str, Any] | None = None
    engine: Literal["vectorized", "event"] = "vectorized"


class GridRequest(_Research):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"strategy": "sma_crossover", "symbols": ["AAPL"], "grid": {"fast": [5, 10], "slow": [20, 50]}}]})

    grid: dict[str, list[Any]] = Field(min_length=1, description="parameter -> values; every combination is run")
    objective: str = Field(default=defaults.GRID_OBJECTIVE, pattern=r"^[a-z_]{1,32}$")
    top: int = Field(default=defaults.GRID_TOP, ge=1, le=100)


class WalkForwardRequest(GridRequest):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"strategy": "sma_crossover", "symbols": ["AAPL"], "grid": {"fast": [5, 10], "slow": [20, 50]},
         "in_sample_days": 252, "out_of_sample_days": 63}]})

    grid: dict[str, list[Any]] = Field(default_factory=dict, description="parameter -> values each fold chooses "
                                       "from; none: the strategy's default parameters")
    window: Literal["rolling", "anchored"] = defaults.WALK_FORWARD_WINDOW
    in_sample_days: int = Field(default=defaults.WALK_FORWARD_IN_SAMPLE_DAYS, ge=5, le=5000,
                                description="sessions per in-sample fold")
    out_of_sample_days: int = Field(default=defaults.WALK_FORWARD_OUT_OF_SAMPLE_DAYS, ge=1, le=2000,
                                    description="sessions per out-of-sample fold")
    min_trades: int = Field(default=0, ge=0)


class MonteCarloRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"source_run_id": 12, "method": "returns", "n_paths": 2000, "seed": 7}]})

    source_run_id: int = Field(ge=1, le=2**63 - 1, description="a finished backtest or walk-forward run")
    method: Literal["returns", "trades"] = defaults.MONTE_CARLO_METHOD
    n_paths: int = Field(default=defaults.MONTE_CARLO_PATHS, ge=100, le=100_000)
    seed: int = Field(default=0, ge=0)


class OptimizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"method": "max_sharpe", "symbols": ["AAPL", "MSFT"], "lookback_days": 60, "total_value": 100000}]})

    method: str = Field(pattern=r"^[a-z_]{1,32}$", description="max_sharpe, min_volatility, hrp, risk_parity, …")
    symbols: Symbols = Field(min_length=2, max_length=200)
    as_of: date | None = None
    lookback_days: int | None = Field(default=defaults.OPTIMIZE_LOOKBACK_DAYS, ge=20, le=10_000,
                                      description="sessions of history used (the same default as the CLI and chat)")
    weight_bounds: tuple[float, float] = (0.0, 1.0)
    views: dict[str, tuple[float, float]] | None = Field(
        default=None, description="black_litterman: symbol -> [expected annual return, confidence 0-1]; none: the "
                                  "market prior")
    target_return: float | None = Field(default=None, description="annual fraction, for efficient_return")
    target_volatility: float | None = Field(default=None, description="annual fraction, for efficient_risk")
    total_value: float | None = Field(default=None, gt=0, description="dollars, for a whole-share allocation")


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"run_ids": [12, 13]}]})

    run_ids: list[int] = Field(min_length=1, max_length=50)


class JobAccepted(BaseModel):
    """202: the run is stored as ``queued``; poll ``links.status`` until it is ``done`` or ``failed``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "run_id": 12, "kind": "backtest", "status": "queued",
        "links": {"status": "/api/v1/backtests/12", "report": "/api/v1/backtests/12/report"}}]})

    run_id: int
    kind: str
    status: str = Field(description="queued | running | done | failed")
    links: dict[str, str]


class ResearchResultPublic(BaseModel):
    """A finished synchronous research run (optimisation): its run id and whatever the service returned."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "run_id": 14, "weights": {"AAPL": 0.62, "MSFT": 0.38}, "sharpe": 1.3, "expected_annual_return": 0.21,
        "annual_volatility": 0.16}]})

    run_id: int


class ComparePublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "runs": [{"run_id": 12, "kind": "backtest", "strategy": "sma_crossover", "sharpe": 0.8}],
        "best": {"sharpe": 12}}]})

    runs: list[dict[str, Any]]
    best: dict[str, int]


class ReportPublic(BaseModel):
    """What ``GET /backtests/{run_id}/report`` serves as HTML, described (``Accept: application/json``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "run_id": 12, "filename": "quantpilot-run-12-report.html", "size_bytes": 3712345, "sha256": "5e88…"}]})

    run_id: int
    filename: str
    size_bytes: int
    sha256: str = Field(description="hex SHA-256 of the HTML")
