"""Market data: ``/api/v1/data`` — symbols, bars, quality, load; plus seed 000's collect/status/schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import MarketDataDep, ScheduleStoreDep, SymbolsCacheDep, TraderUser, ViewerUser
from api.schemas.data import (
    BarsPublic,
    CollectRequest,
    LoadReportPublic,
    LoadRequest,
    QualityPublic,
    SchedulePublic,
    ScheduleRequest,
    SymbolPublic,
    SymbolsPublic,
    bars_payload,
)
from api.schemas.encoding import OrjsonResponse
from api.schemas.errors import error_responses
from memory.market_data import MarketDataService

router = APIRouter(prefix="/api/v1/data", tags=["data"], responses=error_responses(401, 403, 429))

SymbolPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9.\-^=]{1,16}$", description="ticker, e.g. AAPL")]
StartQuery = Annotated[date | None, Query(description="first session date (inclusive)")]
EndQuery = Annotated[date | None, Query(description="last session date (inclusive)")]
AsOfQuery = Annotated[datetime | None, Query(description="point in time; default now (UTC)")]


def read_bars(service: MarketDataService, symbol: str, start: date | None, end: date | None,
              as_of: datetime | None) -> dict:
    """Bars of one symbol as known at ``as_of``, shaped as ``BarsPublic``; shared with the market-data router."""
    cutoff = as_of or datetime.now(UTC)
    if cutoff.tzinfo is None:
        cutoff = cutoff.replace(tzinfo=UTC)
    frame = service.show(symbol, as_of=cutoff, start=start, end=end)
    return bars_payload(symbol.upper(), cutoff, frame)


def symbols_public(service: MarketDataService, cache: SymbolsCacheDep) -> SymbolsPublic:
    """The stored-symbols summary; it scans every bar (~100 ms on 200k bars), so it is reused for a few seconds."""

    def compute() -> SymbolsPublic:
        items = [SymbolPublic(**vars(s)) for s in service.list_symbols()]
        return SymbolsPublic(count=len(items), symbols=items)

    return cache.get(compute)


@router.get("/symbols", response_model=SymbolsPublic, summary="Stored symbols with bar counts and ranges (viewer)")
def list_symbols(user: ViewerUser, service: MarketDataDep, cache: SymbolsCacheDep) -> SymbolsPublic:
    return symbols_public(service, cache)


@router.get("/status", response_model=SymbolsPublic, summary="Seed 000 alias of /symbols: collection status (viewer)")
def collection_status(user: ViewerUser, service: MarketDataDep, cache: SymbolsCacheDep) -> SymbolsPublic:
    return symbols_public(service, cache)


@router.get("/bars/{symbol}", response_model=BarsPublic, responses=error_responses(400, 404, 422),
            summary="Bars of one symbol, point in time (viewer)")
def get_bars(user: ViewerUser, service: MarketDataDep, symbol: SymbolPath, start: StartQuery = None,
             end: EndQuery = None, as_of: AsOfQuery = None) -> OrjsonResponse:
    return OrjsonResponse(read_bars(service, symbol, start, end, as_of))


@router.get("/quality/{symbol}", response_model=QualityPublic, responses=error_responses(404, 422),
            summary="Latest data-quality report of a symbol (viewer)")
def get_quality(user: ViewerUser, service: MarketDataDep, symbol: SymbolPath) -> QualityPublic:
    return QualityPublic.model_validate(service.quality(symbol))


@router.post("/load", response_model=LoadReportPublic, responses=error_responses(400, 413, 422),
             summary="Fetch, validate and store bars, all or nothing (trader)")
def load(user: TraderUser, service: MarketDataDep, cache: SymbolsCacheDep, body: LoadRequest) -> LoadReportPublic:
    report = service.load(body.source, body.symbols, body.start, body.end)
    cache.clear()
    return LoadReportPublic.model_validate(report.to_dict())


@router.post("/collect/{symbol}", response_model=LoadReportPublic, responses=error_responses(400, 413, 422),
             summary="Seed 000 alias: load one symbol (trader)")
def collect(user: TraderUser, service: MarketDataDep, cache: SymbolsCacheDep, symbol: SymbolPath,
            body: CollectRequest) -> LoadReportPublic:
    report = service.load(body.source, [symbol], body.start, body.end)
    cache.clear()
    return LoadReportPublic.model_validate(report.to_dict())


@router.post("/schedule", response_model=SchedulePublic, status_code=201, responses=error_responses(400, 413, 422),
             summary="Seed 000: collect symbols on a cron schedule, UTC (trader)")
def schedule(user: TraderUser, schedules: ScheduleStoreDep, body: ScheduleRequest) -> SchedulePublic:
    return SchedulePublic.model_validate(schedules.add(body.symbols, body.source, body.cron))
