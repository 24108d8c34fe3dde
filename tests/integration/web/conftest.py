"""The web pages in-process (no browser): the real app on the real database, users of every role, and
helpers to log in and read the CSRF token a page carries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.web.chat import WebChat
from guardrails.policy import Role
from memory.users import UserStore
from tests.integration.api.conftest import make_settings

CSRF_IN_PAGE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture()
def keys(database) -> dict[str, str]:
    """One API key per role, held by a user named after the role (``viewer``, ``trader``, …)."""
    store = UserStore(database)
    return {role.value: store.add(role.value, role).api_key for role in Role}


def graphless_chat(database, **context) -> WebChat:
    """A ``WebChat`` without a graph: decisions are recorded, no thread is resumed (none waits here)."""
    from graph.context import database_context
    from memory.threads import ThreadStore

    return WebChat(None, database_context(database, channel="web", **context), ThreadStore(database))


@pytest.fixture()
def app(database):
    app = create_app(make_settings(), database=database)
    app.state.web_chat = graphless_chat(database)
    return app


@pytest.fixture()
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def login_csrf(client: TestClient) -> str:
    page = client.get("/web/login")
    assert page.status_code == 200
    return CSRF_IN_PAGE.search(page.text).group(1)


def log_in(client: TestClient, key: str) -> str:
    """Log in with ``key``; returns the session's CSRF token (read from a page, as a browser would)."""
    answer = client.post("/web/login", data={"api_key": key, "csrf_token": login_csrf(client), "next": "/web/"},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return CSRF_IN_PAGE.search(client.get("/web/approvals").text).group(1)


def pending_request(database, *, kind: str = "paper", requester: str = "trader", to_stage: str = "paper",
                    approval_id: str = "apr_web000001") -> str:
    """A strategy at the stage below ``to_stage`` and a pending request to promote it (no thread waits)."""
    from memory.approvals import ApprovalStore
    from memory.strategies import StrategyRegistry

    registry = StrategyRegistry(database)
    strategy = registry.register("sma_web", "SMA web", "sma_crossover", {"fast": 10, "slow": 50})
    for stage in ("backtested", "paper", "live"):
        if stage == to_stage:
            break
        strategy = registry.transition("sma_web", stage, actor="test-setup")
    now = datetime.now(UTC)
    evidence = {"oos_sharpe": 1.2, "trades": 40, "max_drawdown_pct": 12.0} if kind == "paper" else {
        "paper_days": 30, "paper_return_pct": 2.5, "live_trading_enabled": True}
    ApprovalStore(database).save_request({
        "id": approval_id, "kind": kind, "requester": requester, "channel": "web", "thread_id": None,
        "subject": {"strategy_id": "sma_web", "version": strategy.version, "params_hash": strategy.params_hash,
                    "from_stage": strategy.stage, "to_stage": to_stage},
        "evidence": evidence, "summary": f"promote sma_web to {to_stage}", "created_at": now,
        "expires_at": now + timedelta(hours=24)})
    return approval_id
