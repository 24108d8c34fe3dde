"""A local HTTP server on 127.0.0.1 that records JSON POSTs and answers as told (webhook, fake Slack API)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest

from tests.support.loopback_http import serving


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict


@dataclass
class FakeServer:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    status: int = 200
    reply: dict | str = field(default_factory=lambda: {"ok": True})
    delay_s: float = 0.0


@pytest.fixture()
def fake_server() -> Iterator[FakeServer]:
    state = FakeServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()},
                                           json.loads(raw or b"{}")))
            if state.delay_s:
                time.sleep(state.delay_s)
            payload = state.reply if isinstance(state.reply, str) else json.dumps(state.reply)
            body = payload.encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json" if not isinstance(state.reply, str) else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    with serving(Handler) as url:
        state.url = url
        yield state
