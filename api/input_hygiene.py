"""Every request's text is checked before any route sees it: a JSON or form body, and the query string, holding
a control character, a bidirectional override or a lone surrogate (``guardrails.input_text``) is answered 422
naming the field (``body.title``, ``form.message``, ``query.q``), so no route, table or log line ever gets it.

Pure ASGI: the body is read once (after the body-size limit, which sits outside this) and handed on as it
came; a body that is not JSON or a form is left to the route (FastAPI answers malformed JSON itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.security import send_error
from guardrails.input_text import describe, unsafe_character

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """``(field path, text)`` of every string in a parsed JSON value, object keys included."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}.{key}", str(key)
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}.{index}")


def _pairs(raw: bytes, where: str) -> Iterator[tuple[str, str]]:
    for key, value in parse_qsl(raw.decode("utf-8", "surrogateescape"), keep_blank_values=True):
        yield f"{where}.{key}", key
        yield f"{where}.{key}", value


def first_unsafe(fields: Iterator[tuple[str, str]]) -> tuple[str, str] | None:
    """``(field path, U+XXXX)`` of the first field holding an unsafe character, or None."""
    for where, text in fields:
        found = unsafe_character(text)
        if found is not None:
            return where, found
    return None


def _body_fields(content_type: str, body: bytes) -> Iterator[tuple[str, str]]:
    if "json" in content_type:
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return
        yield from _strings(parsed, "body")
    elif content_type.startswith("application/x-www-form-urlencoded"):
        yield from _pairs(body, "form")


class InputHygieneMiddleware:
    """422 for any request whose query or JSON/form body holds an unsafe character (module docstring)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        # a query without escapes is plain printable ASCII (HTTP forbids raw controls): nothing to decode
        found = first_unsafe(_pairs(query, "query")) if b"%" in query or not query.isascii() else None
        if found is None and scope.get("method") in _BODY_METHODS:
            try:
                body, receive = await _buffered(receive)
            except HTTPException as refused:  # the body limit outside cut the body off (413)
                await send_error(send, refused.status_code, "payload_too_large" if refused.status_code == 413
                              else "bad_request", str(refused.detail), None)
                return
            headers = dict(scope.get("headers") or [])
            content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
            found = first_unsafe(_body_fields(content_type, body))
        if found is None:
            await self.app(scope, receive, send)
            return
        where, codepoint = found
        await send_error(send, 422, "invalid_characters", f"{where} holds {describe(codepoint)} ({codepoint}); "
                      "remove it and send the request again", {"field": where, "character": codepoint})


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that hands it on unchanged."""
    chunks, more = [], True
    disconnected: Message | None = None
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            disconnected, more = message, False
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body, sent = b"".join(chunks), False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return disconnected or await receive()

    return body, replay
