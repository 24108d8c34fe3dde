"""Rendering for the web pages: the Jinja2 environment, the pages' CSP, and ``WebRoute``, which turns a
``WebError`` or a ``QuantpilotError`` raised by a page into a readable answer instead of JSON.

A page's CSP allows only this origin's scripts and styles (htmx and chat.js are static files; no
inline script runs). The run page adds inline styles for plotly, which injects a stylesheet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from agents.answers import ToolOutcome, approval_card, decision_text, describe_call, write_one
from agents.answers.outcome import parse_content
from api.errors import status_for
from api.web.session import CSRF_FIELD, WebError, WebSession
from errors import QuantpilotError, QuotaExceeded
from guardrails.redaction import redact
from quant import display
from services.research.runs import run_sharpe

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
CHART_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
# A stored report runs its own scripts (plotly.js from beside it, then its inline chart calls), sandboxed in an
# opaque origin, so it can neither read the session cookie nor call this site.
REPORT_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'self' 'unsafe-inline'; "
              "style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'none'")

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
# every number a page shows goes through quant.display: the same metric reads the same as in the CLI and chat
templates.env.filters.update({
    "plain": display.plain, "quantity": display.quantity, "money": display.money, "signed_money": display.signed_money,
    "percent": display.percent, "percent_points": display.percent_points, "count": display.count,
    "number": display.number, "day": display.day, "timestamp": display.timestamp, "short_id": display.short_id,
    "params": display.params_text, "metric": lambda value, name: display.format_metric(name, value),
    "metric_label": display.metric_label, "costs": display.cost_summary,
})
# people read approval cards, tool calls and results through the answer writer (agents.answers), never as dicts
templates.env.filters["approval_card"] = approval_card
templates.env.filters["decision_text"] = decision_text
templates.env.filters["run_sharpe"] = run_sharpe  # the Sharpe ``runs list`` shows too
templates.env.globals["describe_call"] = describe_call
templates.env.globals["result_text"] = lambda name, content: write_one(ToolOutcome(name, parse_content(content)))

NAV = (("overview", "/web/", "Overview"), ("chat", "/web/chat", "Chat"), ("strategies", "/web/strategies",
       "Strategies"), ("positions", "/web/positions", "Positions"), ("runs", "/web/runs", "Runs"),
       ("approvals", "/web/approvals", "Approvals"), ("controls", "/web/controls", "Controls"),
       ("health", "/web/health", "System health"))


def render(request: Request, name: str, session: WebSession | None, *, status: int = 200, csp: str = PAGE_CSP,
           **context: Any) -> Response:
    """Render template ``name`` with the session (user, CSRF token) and the navigation."""
    response = templates.TemplateResponse(request, name, {"session": session, "nav": NAV, "csrf_field": CSRF_FIELD,
                                                          **context}, status_code=status)
    response.headers["Content-Security-Policy"] = csp
    return response


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def error_response(request: Request, status: int, message: str) -> Response:
    """401 sends a person to the log-in page (htmx: ``HX-Redirect``); other refusals render the message (secrets
    masked: a refusal may echo what was typed)."""
    message = redact(message)
    if status == 401 and request.method == "GET" and not _is_htmx(request):
        return RedirectResponse(f"/web/login?next={quote(request.url.path)}", status_code=303)
    if _is_htmx(request) or request.headers.get("Accept", "").startswith("text/event-stream"):
        response = render(request, "_error.html", None, status=status, message=message)
        if status == 401:
            response.headers["HX-Redirect"] = "/web/login"
        return response
    return render(request, "error.html", None, status=status, message=message)


class WebRoute(APIRoute):
    """An ``APIRoute`` whose refusals come back as pages or fragments, not JSON envelopes."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except WebError as exc:
                return error_response(request, exc.status, exc.message)
            except QuantpilotError as exc:
                response = error_response(request, status_for(exc), str(exc))
                if isinstance(exc, QuotaExceeded):
                    response.headers["Retry-After"] = str(exc.retry_after_s)
                return response

        return handle
