"""Seed 002 aliases: ``/api/v1/market-data/{symbol}`` and ``/batch`` over the same market-data service."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api.bars_reader import point_in_time
from api.deps import MarketReadsDep
from api.routers.data import AsOfQuery, EndQuery, StartQuery, SymbolPath, bars_json
from api.schemas.data import BarsPublic, BatchBarsPublic, BatchBarsRequest
from api.schemas.errors import error_responses

router = APIRouter(prefix="/api/v1/market-data", tags=["market-data"], responses=error_responses(401, 403, 429))


@router.get("/{symbol}", response_model=BarsPublic, responses=error_responses(400, 404, 422),
            summary="Seed 002 alias of /api/v1/data/bars/{symbol} (viewer)")
async def get_market_data(reads: MarketReadsDep, symbol: SymbolPath, start: StartQuery = None,
                          end: EndQuery = None, as_of: AsOfQuery = None) -> Response:
    return Response(await bars_json(reads, symbol, start, end, as_of), media_type="application/json")


@router.post("/batch", response_model=BatchBarsPublic, responses=error_responses(400, 404, 413, 422),
             summary="Seed 002: bars of several symbols at one point in time (viewer)")
async def get_batch(reads: MarketReadsDep, body: BatchBarsRequest) -> Response:
    as_of = point_in_time(body.as_of)  # one point in time for every symbol
    results = [await bars_json(reads, symbol, body.start, body.end, as_of)
               for symbol in dict.fromkeys(body.symbols)]
    payload = b"".join((b'{"count":', str(len(results)).encode(), b',"results":[', b",".join(results), b"]}"))
    return Response(payload, media_type="application/json")
