"""Cassettes: a model server's HTTP answers, recorded once and replayed to the real ``ChatOpenAI`` client.

``recording_proxy(upstream, cassette)`` serves on loopback, forwards each chat-completion request to
the real server and keeps the exchange; ``replaying_server(cassette)`` answers the same requests
from the cassette alone (no model, no network) and answers HTTP 599 with the reason for a request it
has no recording of, so a changed prompt shows up as a miss instead of a silently different run.

An exchange is keyed by the request body with the values that differ between two runs of the same
conversation masked (approval, thread and uuid ids, latencies; ``evals.models.stable_text``), so a
replay of the same conversation finds every answer. A cassette file is JSON:
``{"meta": {...}, "exchanges": {key: {"status", "content_type", "body", "asked"}}}``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from evals.models import stable_text

MISS_STATUS = 599  # not an HTTP status any server sends: a replay miss is never mistaken for a server error
_MASKS = (
    (re.compile(r"thr_[0-9a-zA-Z_]+"), "thr_<id>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"turn_[0-9a-f]{20}"), "turn_<id>"),
)


def request_key(body: dict[str, Any]) -> str:
    """The key of a chat-completion request: its canonical JSON with volatile values masked."""
    text = stable_text(json.dumps(body, sort_keys=True, default=str))
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return hashlib.sha256(text.encode()).hexdigest()


def _asked(body: dict[str, Any]) -> str:
    """A short description of a request, for a person reading the cassette or a miss."""
    messages = body.get("messages") or []
    last = next((m for m in reversed(messages) if m.get("role") in ("user", "tool")), {})
    return f"{len(messages)} messages, {len(body.get('tools') or [])} tools; last {last.get('role')}: " + \
        str(last.get("content") or "")[:120]


@dataclass
class Cassette:
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)
    exchanges: dict[str, dict[str, Any]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, path: Path) -> Cassette:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(path, dict(data.get("meta") or {}), dict(data.get("exchanges") or {}))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"meta": self.meta, "exchanges": self.exchanges}, indent=1, sort_keys=True),
                             encoding="utf-8")

    def keep(self, body: dict[str, Any], status: int, content_type: str, answer: str) -> None:
        with self._lock:
            self.exchanges.setdefault(request_key(body), {"status": status, "content_type": content_type,
                                                          "body": answer, "asked": _asked(body)})

    def find(self, body: dict[str, Any]) -> dict[str, Any] | None:
        found = self.exchanges.get(request_key(body))
        if found is None:
            with self._lock:
                self.misses.append(_asked(body))
        return found


def _handler(cassette: Cassette, upstream: str | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - the model list, for clients that probe it
            self._send(200, "application/json", json.dumps({"object": "list", "data": [
                {"id": cassette.meta.get("model", "model"), "object": "model"}]}).encode())

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw or b"{}")
            if upstream is None:
                found = cassette.find(body)
                if found is None:
                    self._send(MISS_STATUS, "application/json", json.dumps({"error": {
                        "message": f"no recording of this request in {cassette.path.name}: {_asked(body)}"}}).encode())
                    return
                self._send(found["status"], found["content_type"], found["body"].encode())
                return
            import httpx

            with httpx.Client(timeout=None) as client:
                answer = client.post(f"{upstream}{self.path.removeprefix('/v1')}", content=raw,
                                     headers={"Content-Type": "application/json"})
            content_type = answer.headers.get("content-type", "application/json")
            cassette.keep(body, answer.status_code, content_type, answer.text)
            self._send(answer.status_code, content_type, answer.content)

    return Handler


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port in a background thread; yields ``http://127.0.0.1:PORT``
    and shuts the server down afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def recording_proxy(upstream: str, cassette: Cassette) -> Iterator[str]:
    """A base URL that forwards to ``upstream`` (``http://host:port/v1``) and records into ``cassette``."""
    with serving(_handler(cassette, upstream.rstrip("/"))) as url:
        yield f"{url}/v1"


@contextlib.contextmanager
def replaying_server(cassette: Cassette) -> Iterator[str]:
    """A base URL answering from ``cassette`` only."""
    with serving(_handler(cassette, None)) as url:
        yield f"{url}/v1"
