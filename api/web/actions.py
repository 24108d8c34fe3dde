"""State-changing forms of the web pages; each is a CSRF check, then one service call as the logged-in person.

Who may do what is the services' rule (the one policy table), the same as on every other interface:
deciding needs approver and never one's own request; the kill switch needs trader (flattening:
approver); proposing a limit change, asking to resume or to reset a breaker needs trader and takes
effect only after someone else approves it (then a trader applies the approved request here, as with
the CLI and the API). The market clock's forms are in ``api.web.clock_actions``. htmx requests get
an HTML fragment; plain form posts are redirected back to the page they came from.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from api.web.chat import web_chat
from api.web.rendering import WebRoute, render
from api.web.session import SessionDep, WebError, check_csrf
from guardrails.policy import Actor

router = APIRouter(route_class=WebRoute)
APPROVAL_ID = re.compile(r"apr_[A-Za-z0-9_-]{1,60}")
ApprovalId = Annotated[str, Path(pattern=rf"^{APPROVAL_ID.pattern}$")]
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


def _execution(request: Request, account: str | None = None):
    from services.execution_path import execution_service

    return execution_service(request.app.state.database, account=account)


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
                   message=f"resume requested: approval {approval_id} waits on the Approvals page; once another "
                           f"approver approves it, turn the kill switch off here with “Apply approved resume” and "
                           f"approval {approval_id}")


@router.post("/controls/breaker-reset-request")
async def breaker_reset_request(request: Request, session: SessionDep) -> Response:
    form = await check_csrf(request, session)
    reason = str(form.get("reason") or "").strip()
    if not reason:
        raise WebError(400, "say why the account may trade again")
    service = await run_in_threadpool(_execution, request, str(form.get("account") or "") or None)
    approval_id = await run_in_threadpool(lambda: service.request_breaker_reset(_actor(session), reason=reason[:200]))
    return _answer(request, session, "/web/controls", "_notice.html",
                   message=f"breaker reset of account {service.account} requested: approval {approval_id} waits on "
                           "the Approvals page; once another approver approves it, apply it here with "
                           f"“Apply approved reset” and approval {approval_id} (or: quantpilot risk reset-breaker "
                           f"apply --approval {approval_id})")


def _approval_id(form: dict) -> str:
    """The form's ``approval_id``, shaped like one (``apr_…``); the service checks what it covers."""
    value = str(form.get("approval_id") or "").strip()
    if not APPROVAL_ID.fullmatch(value):
        raise WebError(400, f"approval {value!r} is not an approval id: give the apr_… id the request printed"
                       if value else "give the approval id (apr_…) of the approved request")
    return value


@router.post("/controls/breaker-reset")
async def breaker_reset(request: Request, session: SessionDep) -> Response:
    """Apply an approved breaker reset: ``ExecutionService.reset_breaker``, as ``quantpilot risk reset-breaker
    apply`` and ``POST /api/v1/risk/breaker/reset`` do (the approval names the account)."""
    form = await check_csrf(request, session)
    approval_id = _approval_id(form)
    service = await run_in_threadpool(_execution, request, str(form.get("account") or "") or None)
    state = await run_in_threadpool(lambda: service.reset_breaker(_actor(session), approval_id))
    account = state.account_id or service.account
    message = f"breaker baseline of account {account} reset with approval {approval_id}: trading active"
    if state.status.value != "active":  # the global kill switch may still halt every account
        message = (f"breaker baseline of account {account} reset with approval {approval_id}, but it is still "
                   f"{state.status.value}: {state.reason}. To lift it: {state.release}")
    return _answer(request, session, f"/web/controls?account={account}", "_notice.html", message=message,
                   failed=state.status.value != "active")


async def _resume(request: Request, session, approval_id: str) -> Response:
    service = await run_in_threadpool(_execution, request)
    state = await run_in_threadpool(lambda: service.resume(_actor(session), approval_id))
    return _answer(request, session, "/web/controls", "_notice.html",
                   message=f"kill switch off with approval {approval_id}: trading is {state.status.value}"
                           + (f" ({state.reason}. To lift it: {state.release})" if state.status.value != "active"
                              else ""),
                   failed=state.status.value != "active")


@router.post("/controls/resume")
async def resume_with_form(request: Request, session: SessionDep) -> Response:
    """Turn the kill switch off with an approved resume request (``ExecutionService.resume``, as ``quantpilot
    kill-switch off`` and ``POST /api/v1/risk/kill-switch/release`` do); the approval id comes in the form."""
    form = await check_csrf(request, session)
    return await _resume(request, session, _approval_id(form))


@router.post("/controls/resume/{approval_id}")
async def resume(request: Request, session: SessionDep, approval_id: ApprovalId) -> Response:
    await check_csrf(request, session)
    return await _resume(request, session, approval_id)


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
