"""Web sessions: a signed, HttpOnly, SameSite=Strict cookie naming the user and their key id, plus CSRF.

The cookie never holds the API key. It reads ``<payload>.<signature>``: the payload is base64url JSON
``{"u": user name, "k": key id, "c": CSRF token, "t": issued at (unix seconds)}``, the signature is
HMAC-SHA256 of the payload under the session secret. On every request the user is looked up again
(``UserStore.get``), so a revoked key or a changed role takes effect at once.

State-changing requests carry the session's CSRF token in a ``csrf_token`` form field or an
``X-CSRF-Token`` header (htmx sends it from ``hx-headers``); the log-in form uses a double-submit
pre-session cookie instead, since there is no session yet.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from errors import NotFoundError
from guardrails.policy import Role
from memory.users import ApiUser

log = logging.getLogger("quantpilot.web")

SESSION_COOKIE = "qp_session"
LOGIN_COOKIE = "qp_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class WebSettings(BaseSettings):
    """Settings of the web pages (env prefix ``QUANTPILOT_WEB_``)."""

    model_config = SettingsConfigDict(env_prefix="QUANTPILOT_WEB_", env_file=".env", extra="ignore")

    session_secret: SecretStr | None = Field(default=None, description="signs session cookies; unset = derived "
                                             "from the API key pepper, else random per process (one worker only)")
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


def session_secret(settings: WebSettings, pepper: SecretStr | None) -> bytes:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().encode()
    if pepper is not None:
        return hmac.new(pepper.get_secret_value().encode(), b"quantpilot-web-session", hashlib.sha256).digest()
    log.warning("no QUANTPILOT_WEB_SESSION_SECRET or API key pepper: web sessions last only as long as this process")
    return secrets.token_bytes(32)


class SessionCodec:
    """Signs and verifies session cookies with ``secret``; ``clock`` gives unix seconds."""

    def __init__(self, secret: bytes, max_age_seconds: int, clock=time.time):
        self._secret, self.max_age_seconds, self._clock = secret, max_age_seconds, clock

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._secret, payload, hashlib.sha256).digest())

    def encode(self, user_name: str, key_id: str, csrf: str) -> str:
        payload = _b64(json.dumps({"u": user_name, "k": key_id, "c": csrf, "t": int(self._clock())},
                                  separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload.encode())}"

    def decode(self, cookie: str) -> dict | None:
        """The payload of a well-signed, unexpired cookie, else None."""
        payload, _, signature = cookie.partition(".")
        if not payload or not signature or not hmac.compare_digest(self._sign(payload.encode()), signature):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, json.JSONDecodeError):
            return None
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "ukc"):
            return None
        if not isinstance(data.get("t"), int) or self._clock() - data["t"] > self.max_age_seconds:
            return None
        return data


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_init_lock = threading.Lock()


def codec_of(app) -> SessionCodec:
    """The app's session codec, made on first use from ``WebSettings`` (tests may set ``app.state.web_settings``)."""
    codec = getattr(app.state, "web_codec", None)
    if codec is None:
        with _init_lock:
            codec = getattr(app.state, "web_codec", None)
            if codec is None:
                settings = getattr(app.state, "web_settings", None) or WebSettings()
                app.state.web_settings = settings
                codec = app.state.web_codec = SessionCodec(
                    session_secret(settings, app.state.api_settings.key_pepper), settings.session_max_age_seconds)
    return codec


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    codec_of(request.app)
    secure = request.url.scheme == "https" or request.app.state.web_settings.secure_cookies
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=secure)


async def optional_session(request: Request) -> WebSession | None:
    """The session of a valid cookie whose user is still active with the same key; else None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    data = codec_of(request.app).decode(cookie)
    if data is None:
        return None
    try:
        user = await run_in_threadpool(request.app.state.user_store.get, data["u"])
    except NotFoundError:
        return None
    if not hmac.compare_digest(user.key_id, data["k"]):
        return None  # the key was revoked and the name reissued
    return WebSession(user, data["c"])


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
