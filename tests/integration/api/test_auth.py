"""Authentication, roles and rate limits, through the real app and the real user table."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from guardrails.policy import Role
from memory.users import UserStore
from tests.integration.api.conftest import auth, make_settings
from tests.support.people import SYSTEM

# Every route under /api/v1 and the lowest role that may call it (written from the issue, not read from the app).
ROUTES: list[tuple[str, str, dict | None, Role]] = [
    ("GET", "/api/v1/data/symbols", None, Role.VIEWER),
    ("GET", "/api/v1/data/status", None, Role.VIEWER),
    ("GET", "/api/v1/data/bars/AAPL", None, Role.VIEWER),
    ("GET", "/api/v1/data/quality/AAPL", None, Role.VIEWER),
    ("POST", "/api/v1/data/load", {"source": "synthetic", "symbols": ["AAPL"], "start": "2024-01-02",
                                   "end": "2024-01-31"}, Role.TRADER),
    ("POST", "/api/v1/data/collect/MSFT", {"source": "synthetic", "start": "2024-01-02", "end": "2024-01-31"},
     Role.TRADER),
    ("POST", "/api/v1/data/schedule", {"symbols": ["AAPL"], "source": "synthetic", "cron": "0 22 * * 1-5"},
     Role.TRADER),
    ("GET", "/api/v1/market-data/AAPL", None, Role.VIEWER),
    ("POST", "/api/v1/market-data/batch", {"symbols": ["AAPL"]}, Role.VIEWER),
    ("GET", "/api/v1/backtests", None, Role.VIEWER),
    ("GET", "/api/v1/backtests/1", None, Role.VIEWER),
    ("GET", "/api/v1/backtest/1/results", None, Role.VIEWER),
    ("GET", "/api/v1/users/me", None, Role.VIEWER),
    ("GET", "/api/v1/users", None, Role.ADMIN),
    ("POST", "/api/v1/users", {"name": "newcomer", "role": "viewer"}, Role.ADMIN),
    ("DELETE", "/api/v1/users/nobody", None, Role.ADMIN),
    ("GET", "/api/v1/usage", None, Role.VIEWER),
    # agent, approvals, strategies, research, trading: literal {templates} are invalid ids (404/422 once allowed)
    ("POST", "/api/v1/threads", {"title": "matrix"}, Role.VIEWER),
    ("GET", "/api/v1/threads", None, Role.VIEWER),
    ("GET", "/api/v1/threads/{thread_id}", None, Role.VIEWER),
    ("GET", "/api/v1/threads/{thread_id}/history", None, Role.VIEWER),
    ("POST", "/api/v1/threads/{thread_id}/runs", {"message": "hello"}, Role.VIEWER),
    ("POST", "/api/v1/threads/{thread_id}/runs/stream", {"message": "hello"}, Role.VIEWER),
    ("POST", "/api/v1/threads/{thread_id}/interrupt", {"verdict": "approve"}, Role.APPROVER),
    ("GET", "/api/v1/approvals", None, Role.VIEWER),
    ("GET", "/api/v1/approvals/{approval_id}", None, Role.VIEWER),
    ("POST", "/api/v1/approvals/{approval_id}/approve", {}, Role.APPROVER),
    ("POST", "/api/v1/approvals/{approval_id}/reject", {"comment": "no"}, Role.APPROVER),
    ("GET", "/api/v1/strategies", None, Role.VIEWER),
    ("POST", "/api/v1/strategies", {"id": "matrix_sma", "kind": "sma_crossover"}, Role.TRADER),
    ("GET", "/api/v1/strategies/{strategy_id}", None, Role.VIEWER),
    ("POST", "/api/v1/strategies/{strategy_id}/backtest", {"symbols": ["AAPL"]}, Role.TRADER),
    ("POST", "/api/v1/strategies/{strategy_id}/promotions", {"to_stage": "paper"}, Role.TRADER),
    ("POST", "/api/v1/backtests", None, Role.TRADER),
    ("POST", "/api/v1/backtest/run", None, Role.TRADER),
    ("POST", "/api/v1/research/grid", None, Role.TRADER),
    ("POST", "/api/v1/research/walk-forward", None, Role.TRADER),
    ("POST", "/api/v1/research/monte-carlo", None, Role.TRADER),
    ("POST", "/api/v1/portfolio/optimize", None, Role.TRADER),
    ("POST", "/api/v1/research/compare", {"run_ids": [1]}, Role.VIEWER),
    ("POST", "/api/v1/backtest/1/compare", {"run_ids": [2]}, Role.VIEWER),
    ("GET", "/api/v1/backtests/1/report", None, Role.VIEWER),
    ("GET", "/api/v1/positions", None, Role.VIEWER),
    ("POST", "/api/v1/positions/reconcile", None, Role.TRADER),
    ("GET", "/api/v1/orders", None, Role.VIEWER),
    ("POST", "/api/v1/orders", None, Role.TRADER),
    ("GET", "/api/v1/orders/{order_id}", None, Role.VIEWER),
    ("POST", "/api/v1/orders/{order_id}/cancel", None, Role.TRADER),
    ("GET", "/api/v1/risk/status", None, Role.VIEWER),
    ("GET", "/api/v1/risk/limits", None, Role.VIEWER),
    ("POST", "/api/v1/risk/proposals", None, Role.TRADER),
    ("POST", "/api/v1/risk/proposals/{proposal_id}/apply", None, Role.TRADER),
    ("POST", "/api/v1/risk/kill-switch", None, Role.TRADER),
    ("POST", "/api/v1/risk/kill-switch/release-request", None, Role.TRADER),
    ("POST", "/api/v1/risk/kill-switch/release", None, Role.TRADER),
    ("POST", "/api/v1/risk/breaker/reset-request", None, Role.TRADER),
    ("POST", "/api/v1/risk/breaker/reset", None, Role.TRADER),
    ("GET", "/api/v1/clock", None, Role.VIEWER),
    ("POST", "/api/v1/clock/advance", None, Role.TRADER),
    ("POST", "/api/v1/clock/set", None, Role.TRADER),
    ("POST", "/api/v1/clock/real", None, Role.TRADER),
    ("GET", "/api/v1/paper/accounts", None, Role.VIEWER),
    ("POST", "/api/v1/risk/check", None, Role.VIEWER),
    ("GET", "/api/v1/summary/daily", None, Role.VIEWER),
    ("GET", "/api/v1/audit/verify", None, Role.ADMIN),
]
ORDER = [Role.VIEWER, Role.TRADER, Role.APPROVER, Role.ADMIN]


@pytest.fixture(scope="module")
def matrix(_database_session):
    """One emptied database with bars and a key per role, shared by the 64 role-matrix cases."""
    from memory.models import whole_schema
    from services.market_data import MarketDataService
    from tests.integration.api.conftest import END, START

    tables = ", ".join(f'"{t}"' for t in whole_schema().tables)
    with _database_session.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    MarketDataService(_database_session, actor=SYSTEM).load("synthetic", ["AAPL", "MSFT"], START, END)
    store = UserStore(_database_session)
    keys = {role: store.add(f"{role.value}-user", role).api_key for role in Role}
    with TestClient(create_app(make_settings(), database=_database_session), raise_server_exceptions=False) as client:
        yield client, keys


def test_the_role_matrix_covers_every_api_route(app):
    declared = {(method.upper(), path) for path, item in app.openapi()["paths"].items()
                if path.startswith("/api/v1") for method in item}
    templates = {(m, p.replace("AAPL", "{symbol}").replace("MSFT", "{symbol}").replace("/1", "/{run_id}")
                  .replace("nobody", "{name}")) for m, p, _, _ in ROUTES}
    assert declared == templates


@pytest.mark.parametrize("role", ORDER)
@pytest.mark.parametrize(("method", "path", "body", "needed"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_each_route_allows_exactly_the_roles_at_or_above_its_minimum(matrix, role, method, path, body, needed):
    client, keys = matrix
    response = client.request(method, path, json=body, headers=auth(keys[role]))
    if ORDER.index(role) >= ORDER.index(needed):
        assert response.status_code not in (401, 403), response.text
    elif response.status_code == 403:
        assert response.json()["error"]["code"] == "forbidden"
        assert needed.value in response.json()["error"]["message"]
    else:  # the services decide, after the request is read: a malformed one is refused as such, never served
        assert response.status_code in (404, 422), response.text


@pytest.mark.parametrize(("method", "path", "body", "needed"), ROUTES[:1] + ROUTES[4:5] + ROUTES[13:14])
def test_a_request_without_a_key_is_401_with_a_bearer_challenge(client, method, path, body, needed):
    response = client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("bad", ["nonsense", "qp_000000000000_wrongsecret", "Bearer", ""])
def test_a_malformed_or_unknown_key_is_401(client, keys, bad):
    assert client.get("/api/v1/data/symbols", headers={"X-API-Key": bad}).status_code == 401
    assert client.get("/api/v1/data/symbols", headers={"Authorization": f"Bearer {bad}"}).status_code == 401


def test_a_right_key_id_with_a_wrong_secret_is_401(client, keys):
    good = keys[Role.ADMIN]
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert client.get("/api/v1/users/me", headers=auth(forged)).status_code == 401


def test_both_header_forms_identify_the_same_user(client, keys):
    key = keys[Role.TRADER]
    by_bearer = client.get("/api/v1/users/me", headers=auth(key)).json()
    by_header = client.get("/api/v1/users/me", headers={"X-API-Key": key}).json()
    assert by_bearer == by_header == {"name": "trader-user", "role": "trader", "key_id": key[3:15]}


def test_keys_are_stored_only_as_salted_hashes(database, keys):
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT key_id, key_salt, key_hash FROM api_users")).all()
    stored = " ".join(" ".join(row) for row in rows)
    for key in keys.values():
        secret = key[16:]
        assert secret not in stored
        assert hashlib.sha256(secret.encode()).hexdigest() not in stored  # unsalted hash would be here
    assert len({row.key_salt for row in rows}) == len(rows)


def test_a_revoked_key_stops_working(client, database, keys):
    assert client.get("/api/v1/users/me", headers=auth(keys[Role.VIEWER])).status_code == 200
    UserStore(database).revoke("viewer-user")
    assert client.get("/api/v1/users/me", headers=auth(keys[Role.VIEWER])).status_code == 401


def test_revoking_through_the_api_takes_effect_at_once_despite_the_key_cache(database, keys):
    app = create_app(make_settings(auth_cache_seconds=300), database=database)
    with TestClient(app) as client:
        assert client.get("/api/v1/users/me", headers=auth(keys[Role.TRADER])).status_code == 200
        assert client.delete("/api/v1/users/trader-user", headers=auth(keys[Role.ADMIN])).status_code == 200
        assert client.get("/api/v1/users/me", headers=auth(keys[Role.TRADER])).status_code == 401


def test_requests_over_the_per_key_limit_get_429_with_retry_after(database, keys):
    app = create_app(make_settings(rate_limit="5/minute"), database=database)
    with TestClient(app) as client:
        codes = [client.get("/api/v1/users/me", headers=auth(keys[Role.VIEWER])).status_code for _ in range(7)]
        other = client.get("/api/v1/users/me", headers=auth(keys[Role.TRADER]))
        limited = client.get("/api/v1/users/me", headers=auth(keys[Role.VIEWER]))
    assert codes == [200] * 5 + [429] * 2
    assert other.status_code == 200  # the limit is per key
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_repeated_failed_authentication_is_rate_limited_per_address(database):
    app = create_app(make_settings(auth_failure_limit="3/minute"), database=database)
    with TestClient(app) as client:
        codes = [client.get("/api/v1/users/me", headers=auth("qp_000000000000_guess")).status_code
                 for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
