"""The web pages under ``/web``: log-in/log-out and the dashboard (Overview, Strategies, Positions, Runs,
Approvals, Controls, System health). The chat panel is in ``api.web.chat_routes``; state-changing
forms (approve, reject, kill switch, limits, resume) in ``api.web.actions``.

Every page needs a session (a viewer may read everything); pages call the service layer through
``api.web.pages`` in a worker thread.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, RedirectResponse, Response

from api.web import actions, chat_routes, clock_actions, pages
from api.web.rendering import CHART_CSP, REPORT_CSP, WebRoute, render
from api.web.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    OptionalSessionDep,
    SessionDep,
    WebError,
    check_csrf,
    session_store,
    set_cookie,
    web_settings,
)
from guardrails.policy import Actor, Channel
from services.users import actor_of

pages_router = APIRouter(prefix="/web", route_class=WebRoute, include_in_schema=False)
root = APIRouter(include_in_schema=False)
STATIC_DIR = str(FilePath(__file__).with_name("static"))
RunId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def web_actor(session) -> Actor:
    """The logged-in person as the services see them (channel ``web``)."""
    return actor_of(session.user, Channel.WEB)


@root.get("/")
async def home() -> Response:
    return RedirectResponse("/web/", status_code=303)


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no scheme, no host, no ``//``) may follow a log-in."""
    if value and value.startswith("/web/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/web/"


@pages_router.get("/login")
async def login_page(request: Request, session: OptionalSessionDep, next: str | None = None) -> Response:
    if session is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, login_csrf=token, next=_safe_next(next))
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600)
    return response


@pages_router.post("/login")
async def login(request: Request, api_key: Annotated[str, Form(max_length=200)],
                csrf_token: Annotated[str, Form(max_length=200)] = "",
                next: Annotated[str, Form(max_length=500)] = "/web/") -> Response:
    """Check the key once (the same authenticator and failure limit as the API), then start a session."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise WebError(403, "CSRF check failed: reload the log-in page and try again")
    state = request.app.state
    address = request.client.host if request.client else "unknown"
    user = await state.authenticator.authenticate(api_key.strip())
    if user is None:
        state.limiter.hit_failure(address)
        response = render(request, "login.html", None, status=401, login_csrf=expected, next=_safe_next(next),
                          message="invalid or revoked API key")
        return response
    store, max_age = session_store(request), web_settings(request.app).session_max_age_seconds
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # a new log-in replaces the browser's old session, which ends here
        await run_in_threadpool(store.end, previous)
    started = await run_in_threadpool(store.start, user.id, max_age)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, started.token, max_age=max_age)
    response.delete_cookie(LOGIN_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@pages_router.post("/logout")
async def logout(request: Request, session: SessionDep) -> Response:
    """End the session on the server (its cookie and CSRF token stop working everywhere), then drop the cookie."""
    await check_csrf(request, session)
    await run_in_threadpool(session_store(request).end, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/web/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@pages_router.get("/")
async def overview(request: Request, session: SessionDep) -> Response:
    data = await run_in_threadpool(pages.overview, request.app.state.database, web_actor(session))
    return render(request, "overview.html", session, page="overview", **data)


@pages_router.get("/strategies")
async def strategies(request: Request, session: SessionDep) -> Response:
    data = await run_in_threadpool(pages.strategies, request.app.state.database)
    return render(request, "strategies.html", session, page="strategies", **data)


@pages_router.get("/positions")
async def positions(request: Request, session: SessionDep, account: str | None = None) -> Response:
    data = await run_in_threadpool(pages.positions, request.app.state.database, web_actor(session), account)
    return render(request, "positions.html", session, page="positions", **data)


@pages_router.get("/runs")
async def runs(request: Request, session: SessionDep) -> Response:
    data = await run_in_threadpool(pages.runs, request.app.state.database, web_actor(session))
    return render(request, "runs.html", session, page="runs", **data)


@pages_router.get("/runs/{run_id}")
async def run_detail(request: Request, session: SessionDep, run_id: RunId) -> Response:
    data = await run_in_threadpool(pages.run_detail, request.app.state.database, web_actor(session), run_id)
    return render(request, "run.html", session, page="runs", csp=CHART_CSP, **data)


@pages_router.get("/runs/{run_id}/report")
async def run_report(request: Request, session: SessionDep, run_id: RunId) -> Response:
    """The run's HTML report (rendered now if the run was made without one, e.g. from the chat), sandboxed: its
    inline plotly calls run in an opaque origin that can neither read the session cookie nor call this site."""
    from services.research import ResearchService

    research = ResearchService(request.app.state.database, actor=web_actor(session))
    path = await run_in_threadpool(research.report, run_id)
    return FileResponse(path, media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP})


@root.get("/web/runs/{run_id}/plotly.min.js")
async def report_plotly_js(run_id: RunId) -> Response:
    """The ``plotly.min.js`` a report loads from its own folder (the report page is sandboxed: no cookie comes
    with this request, and it is the public library, the same for every run)."""
    return await plotly_js()


@pages_router.get("/approvals")
async def approvals(request: Request, session: SessionDep) -> Response:
    data = await run_in_threadpool(pages.approvals, request.app.state.database, web_actor(session))
    return render(request, "approvals.html", session, page="approvals", **data)


@pages_router.get("/controls")
async def controls(request: Request, session: SessionDep, account: str | None = None) -> Response:
    data = await run_in_threadpool(pages.controls, request.app.state.database, web_actor(session), account)
    return render(request, "controls.html", session, page="controls", **data)


@pages_router.get("/health")
async def health(request: Request, session: SessionDep) -> Response:
    data = await run_in_threadpool(pages.health, request.app.state.database)
    return render(request, "health.html", session, page="health", **data)


@root.get("/web/plotly.min.js")
async def plotly_js() -> Response:
    """plotly.js from the installed plotly package (the same build the stored reports inline); no CDN."""
    import plotly

    path = FilePath(plotly.__file__).with_name("package_data") / "plotly.min.js"
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


pages_router.include_router(actions.router)
pages_router.include_router(clock_actions.router)
pages_router.include_router(chat_routes.router)
router = APIRouter(include_in_schema=False)
router.include_router(root)
router.include_router(pages_router)
