"""A scripted OpenAI-compatible chat server on loopback: each request to ``/v1/chat/completions`` gets the
next scripted reply — a whole completion, the same as a stream of SSE chunks, an HTTP error, silence
(a timeout), or nonsense — and every request body is kept for the test to read.

The code under test talks to it through the real ``openai`` client over real HTTP; only the model
behind the endpoint is scripted.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback_http import serving


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``content``/``tool_calls`` make a completion (``tool_calls``: (name, raw arguments
    text) pairs, sent verbatim, so they may be cut off or garbage); ``status`` other than 200 sends ``error``
    as the body; ``delay_s`` waits first (a timeout when longer than the client's); ``stream`` sends it as
    SSE chunks when the request asked to stream (``refuse_stream``: answer a streamed request with ``status``)."""

    content: str | None = None
    tool_calls: tuple[tuple[str, str], ...] = ()
    status: int = 200
    error: dict[str, Any] | str | None = None
    delay_s: float = 0.0
    usage: tuple[int, int] | None = (100, 20)
    stream_usage: bool = True  # include the usage chunk when the client asked for it
    refuse_stream: bool = False
    finish_reason: str | None = None


def text(content: str, **kw: Any) -> Reply:
    return Reply(content=content, **kw)


def tool(name: str, arguments: str, **kw: Any) -> Reply:
    return Reply(tool_calls=((name, arguments),), **kw)


def http_error(status: int, message: str, **kw: Any) -> Reply:
    return Reply(status=status, error={"error": {"message": message, "type": "server_error", "code": None}}, **kw)


@dataclass
class ScriptedServer:
    replies: list[Reply]
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            if not self.replies:
                return http_error(500, "script exhausted: no reply left for this request")
            return self.replies.pop(0)


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    calls = [{"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
             for i, (n, a) in enumerate(reply.tool_calls)]
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if calls:
        message["tool_calls"] = calls
    body: dict[str, Any] = {"id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": model,
                            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason
                                         or ("tool_calls" if calls else "stop")}]}
    if reply.usage:
        body["usage"] = {"prompt_tokens": reply.usage[0], "completion_tokens": reply.usage[1],
                         "total_tokens": sum(reply.usage)}
    return body


def _chunks(reply: Reply, model: str, include_usage: bool) -> Iterator[dict[str, Any]]:
    base = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0, "model": model}
    yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    if reply.content:
        for i in range(0, len(reply.content), 8):
            delta = {"content": reply.content[i:i + 8]}
            yield {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    for index, (name, arguments) in enumerate(reply.tool_calls):
        yield {**base, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": index, "id": f"call_{index}",
               "type": "function", "function": {"name": name, "arguments": ""}}]}, "finish_reason": None}]}
        for i in range(0, len(arguments), 10):
            yield {**base, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": index, "function": {
                "arguments": arguments[i:i + 10]}}]}, "finish_reason": None}]}
    finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
    if include_usage and reply.usage and reply.stream_usage:
        yield {**base, "choices": [], "usage": {"prompt_tokens": reply.usage[0], "completion_tokens": reply.usage[1],
                                                "total_tokens": sum(reply.usage)}}


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            reply = server.next(body)
            if reply.delay_s:
                time.sleep(reply.delay_s)
            streamed = bool(body.get("stream"))
            if reply.status != 200 or (streamed and reply.refuse_stream):
                error = reply.error if reply.error is not None else {"error": {"message": "refused"}}
                payload = error.encode() if isinstance(error, str) else json.dumps(error).encode()
                self._send(reply.status if reply.status != 200 else 500, payload)
                return
            model = str(body.get("model") or "scripted-model")
            if not streamed:
                self._send(200, json.dumps(_completion(reply, model)).encode())
                return
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            data = "".join(f"data: {json.dumps(c)}\n\n" for c in _chunks(reply, model, include_usage))
            self._send(200, (data + "data: [DONE]\n\n").encode(), "text/event-stream")

    return Handler


@contextmanager
def scripted_openai_server(*replies: Reply) -> Iterator[ScriptedServer]:
    """Serve ``replies`` in order on loopback; ``server.url`` is the base URL (``…/v1``)."""
    server = ScriptedServer(list(replies))
    with serving(_handler(server)) as base:
        server.url = f"{base}/v1"
        yield server
