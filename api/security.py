"""Who is calling and how much: API-key authentication with a short cache, per-key rate limits,
and the pure-ASGI middlewares every response passes (security headers, body limit, last-resort 500).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Hashable

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from api.rate_windows import SlidingWindows
from memory.data_version import USERS_CHANNEL, local_version
from memory.users import ApiUser, UserStore

log = logging.getLogger("quantpilot.api")

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI is served from this origin (api.docs_offline) and starts with an inline script.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'")
DOCS_PATHS = ("/docs",)


class Authenticator:
    """Checks API keys against the user store; a verified key is trusted for ``cache_seconds``."""

    def __init__(self, store: UserStore, *, cache_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 version: Callable[[], Hashable] = lambda: local_version(USERS_CHANNEL)):
        self._store = store
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._version = version
        self._cache: dict[bytes, tuple[ApiUser, float, Hashable]] = {}

    async def authenticate(self, api_key: str) -> ApiUser | None:
        """The active user holding ``api_key``, or None. A cached verification is reused only while it is
        younger than ``cache_seconds`` and no key was revoked since (``version`` unchanged)."""
        # Keyed by the key's SHA-256 digest: raw keys are not kept, and a lookup reveals nothing useful
        # by its timing; the store's check itself stays a constant-time HMAC comparison.
        token = hashlib.sha256(api_key.encode()).digest()
        hit = self._cache.get(token)
        now = self._clock()
        if hit is not None and hit[1] > now and hit[2] == self._version():
            return hit[0]
        version = self._version()  # before the lookup: a revocation racing it invalidates the entry
        user = await run_in_threadpool(self._store.authenticate, api_key)
        if user is None:
            self._cache.pop(token, None)
        elif self._cache_seconds > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = (user, now + self._cache_seconds, version)
        return user

    def forget(self) -> None:
        """Drop every cached key (after a revocation through this process)."""
        self._cache.clear()


class RequestLimiter:
    """Sliding-window limits (``limits``): one per API key, one for failed authentications per address."""

    def __init__(self, per_key: str, per_failure: str, storage_uri: str = "memory://"):
        # This process's own counters for memory:// (no expiry thread); limits' storage for shared ones.
        self._local = SlidingWindows() if storage_uri.startswith("memory://") else None
        self._limiter = None if self._local else SlidingWindowCounterRateLimiter(storage_from_string(storage_uri))
        self._per_key = parse(per_key)
        self._per_failure = parse(per_failure)

    def hit_key(self, key_id: str) -> None:
        """Count one request of ``key_id``; 429 when over the limit."""
        self._hit(self._per_key, "key", key_id)

    def hit_user(self, user: int | str) -> None:
        """Count one request of ``user`` (a user id), whichever key, session or interface it came through; 429
        when over the limit."""
        self._hit(self._per_key, "user", str(user))

    def hit_failure(self, address: str) -> None:
        """Count one failed authentication from ``address``; 429 when over the limit."""
        self._hit(self._per_failure, "auth-failure", address)

    def _hit(self, item, kind: str, identity: str) -> None:
        if self._local is not None:
            allowed, retry = self._local.hit(item.key_for(kind, identity), item.amount, item.get_expiry())
            if allowed:
                return
        else:
            if self._limiter.hit(item, kind, identity):
                return
            reset_at = self._limiter.get_window_stats(item, kind, identity).reset_time
            retry = max(1, int(reset_at - time.time() + 0.999))
        raise HTTPException(429, f"rate limit of {item} exceeded; retry in {retry} s",
                            headers={"Retry-After": str(retry)})


class SecurityHeadersMiddleware:
    """Adds nosniff, frame denial, no referrer, no caching of API answers, and a CSP to every response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else API_CSP)
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"request body larger than {limit} bytes")


class BodySizeLimitMiddleware:
    """413 for bodies over ``max_bytes``: at once from Content-Length, else while the body is read."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.max_bytes:
                    await send_error(send, 413, "payload_too_large",
                                      f"request body larger than {self.max_bytes} bytes")
                    return
                break
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)


class UnexpectedErrorMiddleware:
    """The last line of defence: an unexpected exception is logged and answered with a bare 500 envelope."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:  # noqa: BLE001 - clients get a generic 500; the log gets the traceback
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await send_error(send, 500, "internal_error", "internal error; it has been logged")


async def send_error(send: Send, status: int, code: str, message: str, details: dict | None = None) -> None:
    """An error envelope as a whole ASGI response (for middlewares, which answer outside the routes)."""
    body = error_body(code, message, details)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
