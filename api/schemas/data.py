"""Market-data requests and responses (``/api/v1/data`` and the seed aliases)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quant.data.symbols import Symbol

SymbolText = Symbol  # the one symbol type (quant.data.symbols)
# Sources a client may ask for; file sources (csv, parquet) would read server paths, so the API refuses them.
ApiSource = Literal["bundled", "synthetic", "yfinance", "alpaca"]


class SymbolPublic(BaseModel):
    symbol: str
    timeframe: str = Field(description="bar length, e.g. 1d")
    bars: int = Field(description="stored bars")
    first_ts: datetime
    last_ts: datetime
    source: str
    closes_only: bool = Field(description="true when only closes are known (open/high/low are null)")


class SymbolsPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"count": 1, "symbols": [
        {"symbol": "AAPL", "timeframe": "1d", "bars": 2520, "first_ts": "2014-01-02T00:00:00Z",
         "last_ts": "2023-12-29T00:00:00Z", "source": "bundled", "closes_only": True}]}]})

    count: int
    symbols: list[SymbolPublic]


class BarPublic(BaseModel):
    ts: datetime = Field(description="bar timestamp, UTC; daily bars at 00:00 of the session date")
    open: float | None
    high: float | None
    low: float | None
    close: float
    volume: float | None


class BarsPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "symbol": "AAPL", "as_of": "2024-01-05T00:00:00Z", "count": 1,
        "bars": [{"ts": "2024-01-02T00:00:00Z", "open": None, "high": None, "low": None, "close": 185.64,
                  "volume": None}]}]})

    symbol: str
    as_of: datetime = Field(description="point in time of the read: no bar after it is returned")
    count: int
    bars: list[BarPublic]


class BatchBarsRequest(BaseModel):
    """Bars of several symbols (seed 002 ``POST /api/v1/market-data/batch``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"symbols": ["AAPL", "MSFT"], "start": "2023-01-01", "end": "2023-12-31"}]})

    symbols: list[SymbolText] = Field(min_length=1, max_length=50)
    start: date | None = None
    end: date | None = None
    as_of: datetime | None = None


class BatchBarsPublic(BaseModel):
    count: int
    results: list[BarsPublic]


class QualityPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "symbol": "AAPL", "source": "bundled", "created_at": "2024-01-06T10:00:00Z", "n_rows": 2520,
        "n_errors": 0, "n_warnings": 1, "first_ts": "2014-01-02T00:00:00Z", "last_ts": "2023-12-29T00:00:00Z",
        "issues": [{"rule": "gap", "row": 17, "detail": "3 sessions missing"}]}]})

    id: int
    symbol: str
    source: str
    created_at: datetime
    n_rows: int
    n_errors: int
    n_warnings: int
    first_ts: datetime | None
    last_ts: datetime | None
    issues: list[dict[str, Any]]


class LoadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"source": "bundled", "symbols": ["AAPL", "MSFT"], "start": "2020-01-01", "end": "2023-12-31"}]})

    source: ApiSource = "bundled"
    symbols: list[SymbolText] | None = Field(default=None, max_length=200,
                                             description="null = every symbol the source has")
    start: date | None = None
    end: date | None = None


class CollectRequest(BaseModel):
    """Seed 000 ``POST /api/v1/data/collect/{symbol}``: load one symbol."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"source": "bundled"}]})

    source: ApiSource = "bundled"
    start: date | None = None
    end: date | None = None


class LoadReportPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "source": "bundled", "symbols": ["AAPL"], "rows": 2520, "inserted": 2520, "updated": 0, "unchanged": 0,
        "warnings": 0, "per_symbol": {"AAPL": 2520}}]})

    source: str
    symbols: list[str]
    rows: int
    inserted: int
    updated: int
    unchanged: int
    warnings: int
    per_symbol: dict[str, int]


class ScheduleRequest(BaseModel):
    """Seed 000 ``POST /api/v1/data/schedule``: collect symbols on a cron schedule (UTC)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"symbols": ["AAPL"], "source": "yfinance", "cron": "0 22 * * 1-5"}]})

    symbols: list[SymbolText] = Field(min_length=1, max_length=200)
    source: ApiSource = "bundled"
    cron: str = Field(min_length=9, max_length=100, description="crontab expression, UTC")


class SchedulePublic(BaseModel):
    id: int
    symbols: list[str]
    source: str
    cron: str
    next_run: datetime | None
