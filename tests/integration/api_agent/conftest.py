"""The real app on the real database for the agent, approval, research and trading routes.

The agent graph is the product's (``graph.wiring``, offline planner by default); only the boundaries
differ per test: settings (e.g. live trading on) are passed in, never patched inside.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from guardrails.policy import Role
from tests.integration.api.conftest import END, START, auth, keys, loaded, make_settings  # noqa: F401

__all__ = ["END", "START", "auth", "parse_sse", "wait_for_run"]


@pytest.fixture()
def app(database):
    app = create_app(make_settings(), database=database)
    yield app
    jobs = getattr(app.state, "research_jobs", None)
    if jobs is not None:
        jobs.shutdown(wait=True)  # no job may outlive its test (the next one empties the tables)


@pytest.fixture()
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def headers(keys) -> dict[Role, dict[str, str]]:  # noqa: F811
    return {role: auth(key) for role, key in keys.items()}


def parse_sse(text: str) -> list[tuple[str, dict]]:
    """(event name, JSON data) of every frame of a text/event-stream body."""
    events = []
    for frame in text.strip().split("\n\n"):
        name, data = "message", []
        for line in frame.splitlines():
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data.append(line[len("data: "):])
        events.append((name, json.loads("\n".join(data))))
    return events


def wait_for_run(client: TestClient, run_id: int, headers: dict[str, str], timeout_s: float = 60.0) -> dict:
    """Poll ``GET /api/v1/backtests/{run_id}`` until the job is done or failed."""
    deadline = time.monotonic() + timeout_s
    while True:
        run = client.get(f"/api/v1/backtests/{run_id}", headers=headers).json()
        if run["status"] in ("done", "failed") or time.monotonic() > deadline:
            return run
        time.sleep(0.1)
