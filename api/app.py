"""The FastAPI application: ``create_app()`` is the factory uvicorn runs (``api.app:create_app``).

Connection pools open in the lifespan, sized by ``ApiSettings.pool_limits()`` so that every worker
together stays under Postgres' ``max_connections``. Workers join the embedded server their parent
started (``QUANTPILOT_EMBEDDED_URL``); they never start one of their own while it runs. Each worker
also holds one LISTEN connection (``memory.data_version.ChangeListener``) that invalidates its caches
of bars, symbols and verified keys when any process writes bars or revokes a key.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import Counter, Histogram
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bars_reader import BarsReader
from api.docs_offline import install_docs
from api.errors import install_error_handlers
from api.input_hygiene import InputHygieneMiddleware
from api.routers import (
    agent,
    approvals,
    backtests,
    data,
    health,
    market_data,
    openai_compat,
    research,
    strategies,
    trading,
    usage,
    users,
)
from api.schemas.settings import ApiSettings
from api.security import (
    Authenticator,
    BodySizeLimitMiddleware,
    RequestLimiter,
    SecurityHeadersMiddleware,
    UnexpectedErrorMiddleware,
)
from api.slack.routes import install_slack
from api.web import routes as web
from config import Settings, get_settings
from guardrails.redaction import install_log_redaction
from memory.data_version import CacheVersions, ChangeListener, sqlalchemy_to_conninfo
from memory.db import Database
from memory.read_cache import VersionedCache
from memory.users import UserStore
from quant.monitoring.metrics import REGISTRY as QUANTPILOT_REGISTRY
from services.research.placement import serve_jobs, stop_serving

# On quantpilot's registry (quant.monitoring.metrics), which /metrics serves beside the process collectors.
REQUESTS = Counter("quantpilot_api_requests_total", "HTTP requests answered", ["method", "route", "status"],
                   registry=QUANTPILOT_REGISTRY)
LATENCY = Histogram("quantpilot_api_request_seconds", "HTTP request latency, seconds", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0), registry=QUANTPILOT_REGISTRY)


class RequestMetricsMiddleware:
    """Counts requests and observes latency per route template (unmatched paths share one label)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)


def open_database(settings: Settings, api_settings: ApiSettings) -> Database:
    """Start or join the server, migrate, and open this worker's pool (sized for all workers)."""
    from sqlalchemy.orm import sessionmaker

    from memory.db import connect, make_engine

    base = connect(settings)
    size, overflow = api_settings.pool_limits()
    engine = make_engine(base.url, pool_size=size, max_overflow=overflow, pool_timeout=10)
    base.engine.dispose()  # the probe connection; this worker's queries use the sized pool
    return Database(engine, sessionmaker(engine, expire_on_commit=False), base.origin)


def _attach_services(app: FastAPI, database: Database, api_settings: ApiSettings) -> None:
    pepper = api_settings.key_pepper.get_secret_value().encode() if api_settings.key_pepper else b""
    app.state.database = database
    app.state.user_store = UserStore(database, pepper=pepper)
    app.state.authenticator = Authenticator(app.state.user_store, cache_seconds=api_settings.auth_cache_seconds,
                                            version=app.state.cache_versions.users)


def _serve_jobs(app: FastAPI, database: Database) -> None:
    """This process serves research jobs: the routes' and every chat's research (API, OpenAI-compatible, web,
    Slack) run as jobs on the app's runner, in worker processes (``services.research.placement``)."""
    from api.jobs import jobs_of

    serve_jobs(database, lambda: jobs_of(app))


def _start_listener(app: FastAPI, database: Database) -> ChangeListener:
    """LISTEN for bar and user changes from every process; until it connects, bar caches serve nothing."""
    listener = ChangeListener(sqlalchemy_to_conninfo(database.url)).start()
    app.state.cache_versions.listener = listener
    return listener


def create_app(api_settings: ApiSettings | None = None, *, database: Database | None = None,
               settings: Settings | None = None) -> FastAPI:
    """The app. With ``database`` (tests) no pool is opened; otherwise the lifespan opens and closes one.
    Every log record of the process is redacted from here on (uvicorn's access log included)."""
    install_log_redaction()
    api_settings = api_settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if database is not None:
            listener = await run_in_threadpool(_start_listener, app, database)
            _serve_jobs(app, database)
            try:
                yield
            finally:
                stop_serving(database)
                jobs = getattr(app.state, "research_jobs", None)
                if jobs is not None:  # a given database (tests, embedding): jobs it was asked to run finish
                    await run_in_threadpool(jobs.shutdown, True)
                app.state.cache_versions.listener = None
                await run_in_threadpool(listener.stop)
            return
        owned = await run_in_threadpool(open_database, settings or get_settings(), api_settings)
        _attach_services(app, owned, api_settings)
        listener = await run_in_threadpool(_start_listener, app, owned)
        _serve_jobs(app, owned)
        from services.schedules import ScheduleRunner

        schedules = ScheduleRunner(owned).start()  # scheduled data collection (seed 000)
        if api_settings.recover_threads:
            from api.startup_recovery import start_thread_recovery

            app.state.thread_recovery = start_thread_recovery(settings or get_settings(), owned,
                                                              api_settings.recover_after_idle_s,
                                                              api_settings.recover_max_age_s or None)
        # The ~400k objects of the imported libraries never die: keep them out of the collector's full
        # passes, which otherwise stall every in-flight request for tens of milliseconds.
        gc.freeze()
        try:
            yield
        finally:
            stop_serving(owned)
            jobs = getattr(app.state, "research_jobs", None)
            if jobs is not None:  # running jobs go back to the queue for the next start
                await run_in_threadpool(jobs.shutdown, False)
            schedules.stop()
            app.state.cache_versions.listener = None
            await run_in_threadpool(listener.stop)
            owned.engine.dispose()

    app = FastAPI(
        title="quantpilot API",
        version="1",
        summary="Market data, research runs and users of quantpilot. Every /api/v1 route needs an API key.",
        lifespan=lifespan,
        docs_url=None,  # served from the app's own files by install_docs (works offline)
        redoc_url=None,
    )
    if api_settings.docs:
        install_docs(app)
    app.state.api_settings = api_settings
    app.state.cache_versions = versions = CacheVersions()
    app.state.symbols_cache = VersionedCache(versions.bars, ttl_seconds=api_settings.symbols_cache_seconds,
                                             max_entries=1)
    app.state.bars_reader = BarsReader(versions.bars, ttl_seconds=api_settings.bars_cache_seconds)
    app.state.limiter = RequestLimiter(api_settings.rate_limit, api_settings.auth_failure_limit,
                                       api_settings.rate_limit_storage)
    if database is not None:
        _attach_services(app, database, api_settings)
    install_error_handlers(app)
    for module in (health, data, market_data, backtests, users, web, agent, approvals, strategies, research, trading,
                   openai_compat, usage):
        app.include_router(module.router)
    app.mount("/web/static", StaticFiles(directory=web.STATIC_DIR), name="web-static")
    install_slack(app, settings)  # POST /slack/events; 503 until the Slack token and signing secret are set
    # add_middleware puts the last one outermost: headers wrap everything, including 413 and 500 answers.
    app.add_middleware(RequestMetricsMiddleware)
    app.add_middleware(InputHygieneMiddleware)  # inside the body limit: reads bodies already bounded
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=api_settings.max_body_bytes)
    if api_settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=api_settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type"])
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
