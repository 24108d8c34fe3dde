"""State-changing forms of the web pages; each is a CSRF check, then one service call as the logged-in person.

Who may do what is the services' rule (the one policy table), the same as on every other interface:
deciding needs approver and never one's own request; the kill switch needs trader (flattening:
approver); proposing a limit change or asking to resume needs trader and takes effect only after
someone else approves it. htmx requests get an HTML fragment; plain form posts are redirected back
to the page they came from.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from api.web.chat import web_chat
from api.web.rendering import WebRoute, render
from api.web.session import SessionDep, WebError, check_csrf
from guardrails.policy import Actor

router = APIRouter(route_class=WebRoute)
ApprovalId = Annotated[str, Path(pattern=r"^apr_[A-Za-z0-9_-]{1,60}$")]
ProposalId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,80}$")]


def _actor(session) -> Actor:
    from api.web.routes import web_actor

    return web_actor(session)


def _answer(request: Request, session, back: str, template: str, **context) -> Response:
    if request.headers.get("HX-Request") == "true":
        return render(request, template, session, **context)
    return RedirectResponse(back, status_code=303)


@router.post("/approvals/{approval_id}/approve")
async def approve(request: Request, session: SessionDep, approval_id: ApprovalId) -> Response:
    form = await check_csrf(request, session)
    chat = await run_in_threadpool(web_chat, request.app)
    comment = str(form.get("comment") or "").strip() or None
    outcome = await run_in_threadpool(chat.approval_service().approve, _actor(session), approval_id, comment)
    return _answer(request, session, "/web/approvals", "_decision.html", outcome=outcome)


@router.post("/approvals/{approval_id}/reject")
async def reject(request: Request, session: SessionDep, approval_id: ApprovalId) -> Response:
    form = await check_csrf(request, session)
    comment = str(form.get("comment") or "").strip()
    if not comment:
        raise WebError(400, "say why you reject (the agent is told)")
    chat = await run_in_threadpool(web_chat, request.app)
    outcome = await run_in_threadpool(chat.approval_service().reject, _actor(session), approval_id, comment)
    return _answer(request, session, "/web/approvals", "_decision.html", outcome=outcome)


def _execution(request: Request):
    from services.execution_path import execution_service

    return execution_service(request.app.state.database)


def _limits(request: Request):
    from config import get_settings
    from services.limits import LimitService

    return LimitService(request.app.state.database, allow_self_approval=get_settings().allow_self_approval)


@router.post("/controls/kill-switch")
async def kill_switch(request: Request, session: SessionDep) -> Response:
    form = await check_csrf(request, session)
    reason = str(form.get("reason") or "").strip() or "kill switch from the web page"
    service = await run_in_threadpool(_execution, request)
    report = await run_in_threadpool(lambda: service.kill_switch_on(
        _actor(session), reason=reason[:200], flatten=form.get("flatten") == "on"))
    from quant.display.book import kill_switch_text

    return _answer(request, session, "/web/controls", "_notice.html", message=kill_switch_text(report.to_dict()),
                   failed=bool(report.refused))


@router.post("/controls/resume-request")
async def resume_request(request: Request, session: SessionDep) -> Response:
    form = await check_csrf(request, session)
    reason = str(form.get("reason") or "").strip()
    if not reason:
        raise WebError(400, "say why trading should resume")
    service = await run_in_threadpool(_execution, request)
    approval_id = await run_in_threadpool(lambda: service.request_resume(_actor(session), reason=reason[:200]))
    return _answer(request, session, "/web/controls", "_notice.html",
                   message=f"resume requested: approval {approval_id} waits on the Approvals page")


@router.post("/controls/breaker-reset-request")
async def breaker_reset_request(request: Request, session: SessionDep) -> Response:
    form = await check_csrf(request, session)
    reason = str(form.get("reason") or "").strip()
    if not reason:
        raise WebError(400, "say why the account may trade again")
    service = await run_in_threadpool(_execution, request)
    approval_id = await run_in_threadpool(lambda: service.request_breaker_reset(_actor(session), reason=reason[:200]))
    return _answer(request, session, "/web/controls", "_notice.html",
                   message=f"breaker reset of account {service.account} requested: approval {approval_id} waits on "
                           "the Approvals page; once approved: quantpilot risk reset-breaker apply --approval "
                           f"{approval_id}")


@router.post("/controls/resume/{approval_id}")
async def resume(request: Request, session: SessionDep, approval_id: ApprovalId) -> Response:
    await check_csrf(request, session)
    service = await run_in_threadpool(_execution, request)
    state = await run_in_threadpool(lambda: service.resume(_actor(session), approval_id))
    return _answer(request, session, "/web/controls", "_notice.html",
                   message=f"trading is {state.status.value} (approval {approval_id})")


@router.post("/controls/limits")
async def propose_limit(request: Request, session: SessionDep) -> Response:
    form = await check_csrf(request, session)
    name, value = str(form.get("limit") or ""), str(form.get("value") or "").strip()
    if not name or not value:
        raise WebError(400, "choose a limit and give its new value")
    limits = _limits(request)
    _, approval_id, _ = await run_in_threadpool(lambda: limits.propose(
        _actor(session), {name: value}, reason=str(form.get("reason") or "")[:200]))
    return _answer(request, session, "/web/controls", "_notice.html",
                   message=f"proposed {name} = {value}: approval {approval_id} waits on the Approvals page")


@router.post("/controls/limits/{proposal_id}/apply")
async def apply_limit(request: Request, session: SessionDep, proposal_id: ProposalId) -> Response:
    await check_csrf(request, session)
    limits = await run_in_threadpool(_limits(request).apply, _actor(session), proposal_id)
    return _answer(request, session, "/web/controls", "_notice.html",
                   message=f"limits in force now: {limits.model_dump(mode='json')}")
