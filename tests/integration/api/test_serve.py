"""`quantpilot serve` with two workers: both join the one database server their parent started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from guardrails.policy import Role
from memory.users import UserStore

ROOT = Path(__file__).resolve().parents[3]
SERVE = "import typer; from api.commands.serve_cmd import serve; typer.run(serve)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postmasters(pgdata: Path) -> int:
    import psutil

    return sum(1 for p in psutil.process_iter(["name", "cmdline"])
               if p.info["name"] in ("postgres", "postmaster") and str(pgdata) in " ".join(p.info["cmdline"] or [])
               and "-D" in (p.info["cmdline"] or []))


@pytest.mark.slow
def test_two_workers_serve_from_the_database_their_parent_started(database, test_home):
    key = UserStore(database).add("watcher", Role.VIEWER).api_key
    port = _free_port()
    env = {**os.environ, "QUANTPILOT_API_AUTH_CACHE_SECONDS": "0"}
    assert env.get("QUANTPILOT_EMBEDDED_URL"), "the session's server exports its URL"
    before = _postmasters(test_home / "pgdata")
    server = subprocess.Popen([sys.executable, "-c", SERVE, "--port", str(port), "--workers", "2",
                               "--log-level", "warning"], cwd=ROOT, env=env, start_new_session=True)
    try:
        ready = None
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    ready = client.get("/ready")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            assert ready is not None and ready.status_code == 200, f"server exited with {server.poll()}"
            me = [client.get("/api/v1/users/me", headers={"X-API-Key": key}) for _ in range(10)]
        assert ready.json()["database"] == "inherited"
        assert {r.json()["name"] for r in me} == {"watcher"}
        assert _postmasters(test_home / "pgdata") == before == 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the process group this test started
        server.wait(timeout=30)
