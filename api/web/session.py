"""Web sessions: an HttpOnly, SameSite=Strict cookie holding a random token, plus CSRF.

The session itself is a row in ``web_sessions`` (``memory.web_sessions``): the cookie never holds the API
key, and the table never holds the cookie's token (only its hash). Every request looks the session up with
its user, so logging out, a revoked user or a changed role takes effect at once on every API worker, and a
logged-out cookie is just an unknown one (a page sends its holder to the log-in form, a form answers 401).

State-changing requests carry the session's CSRF token in a ``csrf_token`` form field or an
``X-CSRF-Token`` header (htmx sends it from ``hx-headers``); the log-in form uses a double-submit
pre-session cookie instead, since there is no session yet.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import Depends, Request
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from config import EnvSettings
from guardrails.policy import Role
from memory.users import ApiUser
from memory.web_sessions import WebSessionStore

SESSION_COOKIE = "qp_session"
LOGIN_COOKIE = "qp_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class WebSettings(EnvSettings):
    """Settings of the web pages (env prefix ``QUANTPILOT_WEB_``)."""

    env_prefix: ClassVar[str] = "QUANTPILOT_WEB_"

    session_max_age_seconds: int = Field(default=12 * 3600, ge=60, description="a session lasts this long")
    secure_cookies: bool = Field(default=False, description="mark cookies Secure even on plain http")


class WebError(Exception):
    """A refusal a page answers with a status and a message (never a traceback)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class WebSession:
    """The logged-in person: who (as stored now) and the session's CSRF token."""

    user: ApiUser
    csrf: str

    def allows(self, role: Role) -> bool:
        return self.user.role.allows(role)


def web_settings(app) -> WebSettings:
    """The app's ``WebSettings`` (tests may set ``app.state.web_settings``), read from the environment once."""
    settings = getattr(app.state, "web_settings", None)
    if settings is None:
        settings = app.state.web_settings = WebSettings()
    return settings


def session_store(request: Request) -> WebSessionStore:
    return WebSessionStore(request.app.state.database)


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    secure = request.url.scheme == "https" or web_settings(request.app).secure_cookies
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=secure)


async def optional_session(request: Request) -> WebSession | None:
    """The session of the request's cookie while it is in force (not ended, not expired, user active); else None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    live = await run_in_threadpool(session_store(request).live, token)
    if live is None:
        return None
    limiter = getattr(request.app.state, "limiter", None)
    if limiter is not None:  # the same per-user request limit as the user's API keys (429 with Retry-After)
        limiter.hit_user(live.user.id)
    return WebSession(live.user, live.csrf)


async def require_session(session: Annotated[WebSession | None, Depends(optional_session)]) -> WebSession:
    if session is None:
        raise WebError(401, "please log in")
    return session


def csrf_token_of(request: Request, form: dict) -> str:
    return str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")


async def check_csrf(request: Request, session: WebSession) -> dict:
    """The form fields of a state-changing request whose CSRF token matches the session; WebError(403) if not."""
    form = dict(await request.form())
    sent = csrf_token_of(request, form)
    if not sent or not hmac.compare_digest(sent, session.csrf):
        raise WebError(403, "CSRF check failed: reload the page and try again")
    return form


def role_required(session: WebSession, role: Role, action: str) -> None:
    """WebError(403) unless the session's user holds ``role`` or above (the same rule as the API)."""
    if not session.allows(role):
        raise WebError(403, f"user {session.user.name!r} has role {session.user.role.value}; {action} needs "
                            f"{role.value} or above")


SessionDep = Annotated[WebSession, Depends(require_session)]
OptionalSessionDep = Annotated[WebSession | None, Depends(optional_session)]
