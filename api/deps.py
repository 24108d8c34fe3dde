"""Dependencies every router uses, as ``Annotated`` aliases (the full-stack-template habit).

A new router declares what it needs in its signature and nothing else::

    @router.get("/things", response_model=ThingsPublic)
    def list_things(user: ViewerUser, database: DatabaseDep) -> ThingsPublic: ...

``CurrentActor`` authenticates the caller (Bearer or X-API-Key), applies the per-key rate limit (401, 429)
and hands the services an ``Actor`` (channel ``api``). Routers have no role rule of their own: the
services ask the one policy table (``guardrails.policy``), so a refusal (403) is the same on every
interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from api.bars_reader import BarsReader
from api.schemas.settings import ApiSettings
from guardrails.policy import Actor, Channel
from memory.db import Database
from memory.read_cache import VersionedCache
from memory.runs import RunStore
from memory.users import ApiUser, UserStore
from services.market_data import MarketDataService
from services.users import actor_of

_bearer = HTTPBearer(auto_error=False, scheme_name="BearerKey", description="Authorization: Bearer <API key>")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="ApiKeyHeader",
                               description="X-API-Key: <API key>")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="quantpilot"'}


async def get_database(request: Request) -> Database:
    return request.app.state.database


async def get_api_settings(request: Request) -> ApiSettings:
    return request.app.state.api_settings


DatabaseDep = Annotated[Database, Depends(get_database)]
ApiSettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]


async def current_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_api_key_header)],
) -> ApiUser:
    """The caller, from ``X-API-Key`` or ``Authorization: Bearer``; 401 if missing or invalid, 429 if over limit."""
    state = request.app.state
    api_key = header_key or (bearer.credentials if bearer else None)
    address = request.client.host if request.client else "unknown"
    if not api_key:
        state.limiter.hit_failure(address)
        raise HTTPException(401, "missing API key: send `Authorization: Bearer KEY` or `X-API-Key: KEY`",
                            headers=_CHALLENGE)
    user = await state.authenticator.authenticate(api_key)
    if user is None:
        state.limiter.hit_failure(address)
        raise HTTPException(401, "invalid or revoked API key", headers=_CHALLENGE)
    state.limiter.hit_user(user.id)  # per user: every key, the web session and Slack count together
    request.state.user = user
    return user


CurrentUser = Annotated[ApiUser, Depends(current_user)]


async def current_actor(user: CurrentUser) -> Actor:
    """The authenticated caller as the services see them."""
    return actor_of(user, Channel.API)


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def get_market_data(database: DatabaseDep, actor: CurrentActor) -> MarketDataService:
    return MarketDataService(database, actor=actor)


async def get_run_store(database: DatabaseDep) -> RunStore:
    return RunStore(database)


async def get_user_store(request: Request) -> UserStore:
    return request.app.state.user_store


MarketDataDep = Annotated[MarketDataService, Depends(get_market_data)]
RunStoreDep = Annotated[RunStore, Depends(get_run_store)]
UserStoreDep = Annotated[UserStore, Depends(get_user_store)]


@dataclass(frozen=True)
class MarketReads:
    """What the hot market-data reads need, as one dependency (each extra FastAPI dependency costs
    ~15 µs a request): the service, the cached bar reader and the cached symbols summary."""

    service: MarketDataService
    bars: BarsReader
    symbols: VersionedCache


async def get_market_reads(request: Request, actor: CurrentActor) -> MarketReads:
    state = request.app.state
    service = MarketDataService(state.database, actor=actor)
    service.may_read()
    return MarketReads(service, state.bars_reader, state.symbols_cache)


MarketReadsDep = Annotated[MarketReads, Depends(get_market_reads)]


async def get_symbols_cache(request: Request) -> VersionedCache:
    return request.app.state.symbols_cache


SymbolsCacheDep = Annotated[VersionedCache, Depends(get_symbols_cache)]
