"""Seed 002 aliases: ``/api/v1/market-data/{symbol}`` and ``/batch`` over the same market-data service."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import MarketDataDep, ViewerUser
from api.routers.data import AsOfQuery, EndQuery, StartQuery, SymbolPath, read_bars
from api.schemas.data import BarsPublic, BatchBarsPublic, BatchBarsRequest
from api.schemas.encoding import OrjsonResponse
from api.schemas.errors import error_responses

router = APIRouter(prefix="/api/v1/market-data", tags=["market-data"], responses=error_responses(401, 403, 429))


@router.get("/{symbol}", response_model=BarsPublic, responses=error_responses(400, 404, 422),
            summary="Seed 002 alias of /api/v1/data/bars/{symbol} (viewer)")
def get_market_data(user: ViewerUser, service: MarketDataDep, symbol: SymbolPath, start: StartQuery = None,
                    end: EndQuery = None, as_of: AsOfQuery = None) -> OrjsonResponse:
    return OrjsonResponse(read_bars(service, symbol, start, end, as_of))


@router.post("/batch", response_model=BatchBarsPublic, responses=error_responses(400, 404, 413, 422),
             summary="Seed 002: bars of several symbols at one point in time (viewer)")
def get_batch(user: ViewerUser, service: MarketDataDep, body: BatchBarsRequest) -> OrjsonResponse:
    as_of = body.as_of or datetime.now(UTC)  # one point in time for every symbol
    results = [read_bars(service, symbol, body.start, body.end, as_of) for symbol in dict.fromkeys(body.symbols)]
    return OrjsonResponse({"count": len(results), "results": results})
