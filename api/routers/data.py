"""Market data: ``/api/v1/data`` — symbols, bars, quality, load; plus seed 000's collect/status/schedule."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.bars_reader import point_in_time
from api.deps import (
    MarketDataDep,
    MarketReads,
    MarketReadsDep,
    SymbolsCacheDep,
)
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
)
from api.schemas.errors import error_responses
from memory.read_cache import VersionedCache
from quant.data.symbols import SYMBOL_PATTERN
from services.market_data import MarketDataService

router = APIRouter(prefix="/api/v1/data", tags=["data"], responses=error_responses(401, 403, 429))

SymbolPath = Annotated[str, Path(pattern=SYMBOL_PATTERN, description="ticker, e.g. AAPL")]
StartQuery = Annotated[date | None, Query(description="first session date (inclusive)")]
EndQuery = Annotated[date | None, Query(description="last session date (inclusive)")]
AsOfQuery = Annotated[datetime | None, Query(description="point in time; default now (UTC)")]


def _symbols_json(service: MarketDataService) -> bytes:
    items = [SymbolPublic(**vars(s)) for s in service.list_symbols()]
    return SymbolsPublic(count=len(items), symbols=items).model_dump_json().encode()


async def symbols_json(service: MarketDataService, cache: VersionedCache) -> bytes:
    """The stored-symbols summary (a scan of every bar), reused until bars are written anywhere."""
    hit, body = cache.peek("summary")
    if hit:
        return body
    return await run_in_threadpool(cache.get, "summary", lambda: _symbols_json(service))


@router.get("/symbols", response_model=SymbolsPublic, summary="Stored symbols with bar counts and ranges (viewer)")
async def list_symbols(reads: MarketReadsDep) -> Response:
    return Response(await symbols_json(reads.service, reads.symbols), media_type="application/json")


@router.get("/status", response_model=SymbolsPublic, summary="Seed 000 alias of /symbols: collection status (viewer)")
async def collection_status(reads: MarketReadsDep) -> Response:
    return Response(await symbols_json(reads.service, reads.symbols), media_type="application/json")


async def bars_json(reads: MarketReads, symbol: str, start: date | None, end: date | None,
                    as_of: datetime | None) -> bytes:
    """``BarsPublic`` JSON of one symbol: from the cache on the event loop, else read in a worker thread."""
    cutoff = point_in_time(as_of)
    cached = reads.bars.cached_json(symbol, start, end, cutoff)
    if cached is not None:
        return cached
    return await run_in_threadpool(reads.bars.read_json, reads.service, symbol, start, end, cutoff)


@router.get("/bars/{symbol}", response_model=BarsPublic, responses=error_responses(400, 404, 422),
            summary="Bars of one symbol, point in time (viewer)")
async def get_bars(reads: MarketReadsDep, symbol: SymbolPath, start: StartQuery = None,
                   end: EndQuery = None, as_of: AsOfQuery = None) -> Response:
    return Response(await bars_json(reads, symbol, start, end, as_of), media_type="application/json")


@router.get("/quality/{symbol}", response_model=QualityPublic, responses=error_responses(404, 422),
            summary="Latest data-quality report of a symbol (viewer)")
def get_quality(service: MarketDataDep, symbol: SymbolPath) -> QualityPublic:
    return QualityPublic.model_validate(service.quality(symbol))


@router.post("/load", response_model=LoadReportPublic, responses=error_responses(400, 413, 422),
             summary="Fetch, validate and store bars, all or nothing (trader)")
def load(service: MarketDataDep, cache: SymbolsCacheDep, body: LoadRequest) -> LoadReportPublic:
    report = service.load(body.source, body.symbols, body.start, body.end)
    cache.clear()
    return LoadReportPublic.model_validate(report.to_dict())


@router.post("/collect/{symbol}", response_model=LoadReportPublic, responses=error_responses(400, 413, 422),
             summary="Seed 000 alias: load one symbol (trader)")
def collect(service: MarketDataDep, cache: SymbolsCacheDep, symbol: SymbolPath,
            body: CollectRequest) -> LoadReportPublic:
    report = service.load(body.source, [symbol], body.start, body.end)
    cache.clear()
    return LoadReportPublic.model_validate(report.to_dict())


@router.post("/schedule", response_model=SchedulePublic, status_code=201, responses=error_responses(400, 413, 422),
             summary="Seed 000: collect symbols on a cron schedule, UTC (trader)")
def schedule(service: MarketDataDep, body: ScheduleRequest) -> SchedulePublic:
    return SchedulePublic.model_validate(service.schedule(body.symbols, body.source, body.cron))
