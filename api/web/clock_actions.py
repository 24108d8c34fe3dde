"""The Controls page's forms for a paper account's simulated market clock: advance it by N sessions, put it on a
date, or return it to real time — each a CSRF check, then the one ``MarketClockService`` call the CLI
(``quantpilot paper clock advance|set|real``) and the API (``POST /api/v1/clock/advance|set|real``) make.

Moving the clock is a trader's (``Operation.MOVE_MARKET_CLOCK``, checked and audited by the service); a bad
count, date or account is refused by the same service checks, with nothing moved.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.web.actions import _actor, _answer, _execution
from api.web.rendering import WebRoute
from api.web.session import SessionDep, WebError, check_csrf

router = APIRouter(route_class=WebRoute)


def _clocks(request: Request, account: str | None):
    """The account's execution service (its id checked) and the clock service on the same settings."""
    from services.market_clock import MarketClockService

    service = _execution(request, account)
    return service, MarketClockService(service.database, service.settings)


def _account(form: dict) -> str | None:
    return str(form.get("account") or "").strip() or None


def _sessions(form: dict) -> int:
    """The form's ``days`` as a whole number (the service checks its range, as it does for the CLI and the API)."""
    raw = str(form.get("days") or "").strip()
    try:
        return int(raw)
    except ValueError:
        raise WebError(400, f"days {raw!r} is not a whole number of sessions: write e.g. 1 or 5") from None


def _back(account: str) -> str:
    return f"/web/controls?account={account}"


@router.post("/controls/clock/advance")
async def advance(request: Request, session: SessionDep) -> Response:
    form = await check_csrf(request, session)
    sessions = _sessions(form)
    service, clocks = await run_in_threadpool(_clocks, request, _account(form))
    report = await run_in_threadpool(lambda: clocks.advance(_actor(session), service.account, sessions=sessions))
    return _answer(request, session, _back(service.account), "_notice.html", message=advance_text(report),
                   failed=report.trading_state != "active")


@router.post("/controls/clock/set")
async def set_to(request: Request, session: SessionDep) -> Response:
    from services.market_clock import moment_of

    form = await check_csrf(request, session)
    when = moment_of(str(form.get("date") or ""), "date")
    service, clocks = await run_in_threadpool(_clocks, request, _account(form))
    clock = await run_in_threadpool(lambda: clocks.set_to(_actor(session), service.account, when))
    return _answer(request, session, _back(service.account), "_notice.html",
                   message=f"account {clock.account_id}: the clock is now the {clock.describe()}")


@router.post("/controls/clock/real")
async def real_time(request: Request, session: SessionDep) -> Response:
    form = await check_csrf(request, session)
    service, clocks = await run_in_threadpool(_clocks, request, _account(form))
    clock = await run_in_threadpool(lambda: clocks.use_real_time(_actor(session), service.account))
    return _answer(request, session, _back(service.account), "_notice.html",
                   message=f"account {clock.account_id}: the clock is now {clock.describe()}")


def advance_text(report) -> str:
    """What an advance did, in the words ``quantpilot paper clock advance`` prints; a halt also names this page's
    request and apply forms."""
    from quant.display.clock import clock_advance_text

    text = clock_advance_text(report.to_dict())
    return text + " (or the request and apply forms on this page)" if report.reason else text
