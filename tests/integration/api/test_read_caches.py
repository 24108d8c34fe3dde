"""The API's read caches never serve what a write has changed, and cached bars still honour ``as_of``.

"Another process" is a separate database connection that writes and sends the NOTIFY the stores send;
it never touches this process's own change counters, so only the LISTEN path can invalidate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.schemas.data import BarsPublic
from guardrails.policy import Role
from memory.bars import BarStore
from memory.data_version import NOTIFY_BARS, NOTIFY_USERS, sqlalchemy_to_conninfo
from memory.users import UserStore
from services.market_data import MarketDataService
from tests.integration.api.conftest import END, START, auth, make_settings
from tests.support.people import SYSTEM


@pytest.fixture()
def cached_app(database):
    """Every cache on, with TTLs far longer than a test: only invalidation can refresh them."""
    return create_app(make_settings(auth_cache_seconds=300, bars_cache_seconds=300, symbols_cache_seconds=300),
                      database=database)


@pytest.fixture()
def cached_client(cached_app):
    with TestClient(cached_app, raise_server_exceptions=False) as client:
        yield client


def other_process_executes(database, *statements: tuple[str, tuple]) -> None:
    with psycopg.connect(sqlalchemy_to_conninfo(database.url)) as conn:  # one transaction, committed on exit
        for sql, params in statements:
            conn.execute(sql, params)


def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_a_key_revoked_in_this_process_is_refused_at_once(cached_client, database, keys):
    viewer = auth(keys[Role.VIEWER])
    before = [cached_client.get("/api/v1/users/me", headers=viewer).status_code for _ in range(2)]
    UserStore(database).revoke("viewer-user")
    assert before == [200, 200]
    assert cached_client.get("/api/v1/users/me", headers=viewer).status_code == 401


def test_a_key_revoked_by_another_process_is_refused_once_its_notification_arrives(cached_client, database, keys):
    viewer = auth(keys[Role.VIEWER])
    assert cached_client.get("/api/v1/users/me", headers=viewer).status_code == 200
    other_process_executes(database, ("UPDATE api_users SET revoked_at = now() WHERE name = %s", ("viewer-user",)),
                           (NOTIFY_USERS, ()))
    assert eventually(lambda: cached_client.get("/api/v1/users/me", headers=viewer).status_code == 401)


def test_a_revocation_without_a_notification_is_still_bounded_by_the_auth_ttl(database, keys):
    viewer = auth(keys[Role.VIEWER])
    app = create_app(make_settings(auth_cache_seconds=0.3), database=database)
    with TestClient(app) as client:
        assert client.get("/api/v1/users/me", headers=viewer).status_code == 200
        other_process_executes(database, ("UPDATE api_users SET revoked_at = now() WHERE name = %s",
                                          ("viewer-user",)))
        time.sleep(0.35)
        assert client.get("/api/v1/users/me", headers=viewer).status_code == 401


def test_bars_written_in_this_process_are_served_at_once(cached_app, cached_client, database, keys, loaded):
    viewer = auth(keys[Role.VIEWER])
    before = [cached_client.get("/api/v1/data/bars/AAPL", headers=viewer).json()["count"] for _ in range(2)]
    assert cached_app.state.bars_reader.windows.hits >= 1  # the second read was served from the cache
    MarketDataService(database, actor=SYSTEM).load("synthetic", ["AAPL"], START, date(2024, 4, 30))
    after = cached_client.get("/api/v1/data/bars/AAPL", headers=viewer).json()
    stored = BarStore(database).read(["AAPL"], as_of=datetime.now(UTC))
    assert before[0] == before[1] < after["count"] == len(stored)
    assert after["bars"][-1]["ts"] == stored["ts"].iloc[-1].strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_bar_revised_by_another_process_is_served_once_its_notification_arrives(cached_client, database, keys,
                                                                                  loaded):
    viewer = auth(keys[Role.VIEWER])
    last = cached_client.get("/api/v1/data/bars/AAPL", headers=viewer).json()["bars"][-1]
    revised_close = last["close"] + 1.25
    other_process_executes(
        database,
        ("UPDATE bars SET close = %s WHERE symbol = 'AAPL' AND ts = %s", (revised_close, last["ts"])),
        (NOTIFY_BARS, ()),
    )

    def served_close() -> float:
        return cached_client.get("/api/v1/data/bars/AAPL", headers=viewer).json()["bars"][-1]["close"]

    assert eventually(lambda: served_close() == revised_close)


def test_a_symbol_stored_after_the_cache_warmed_is_found_and_an_unknown_one_is_still_404(cached_client, database,
                                                                                          keys, loaded):
    viewer = auth(keys[Role.VIEWER])
    assert cached_client.get("/api/v1/data/bars/AAPL", headers=viewer).status_code == 200
    missing_before = cached_client.get("/api/v1/data/bars/JNJ", headers=viewer)
    MarketDataService(database, actor=SYSTEM).load("synthetic", ["JNJ"], START, END)
    found_after = cached_client.get("/api/v1/data/bars/JNJ", headers=viewer)
    unknown = cached_client.get("/api/v1/data/bars/ZZZZ", headers=viewer)
    assert missing_before.status_code == 404 and "JNJ" in missing_before.json()["error"]["message"]
    assert found_after.status_code == 200 and found_after.json()["count"] > 0
    assert unknown.status_code == 404


def test_a_cached_window_answers_every_as_of_exactly_like_a_fresh_point_in_time_read(cached_app, cached_client,
                                                                                     database, keys, loaded):
    viewer = auth(keys[Role.VIEWER])
    stamps = BarStore(database).read(["AAPL"], as_of=datetime.now(UTC))["ts"]
    first, middle = stamps.iloc[0].to_pydatetime(), stamps.iloc[len(stamps) // 2].to_pydatetime()
    cutoffs = [
        first - timedelta(microseconds=1),  # before any bar: none
        first,  # exactly the first stamp: that bar only
        middle,
        middle + timedelta(hours=13, minutes=30),  # mid-session, same bars as the stamp itself
        (middle - timedelta(microseconds=1)).astimezone(UTC).isoformat(),  # one microsecond before: one fewer
        middle.replace(tzinfo=None).isoformat() + "+02:00",  # a non-UTC offset: two hours earlier than middle
        stamps.iloc[-1].to_pydatetime() + timedelta(days=30),  # after the last: everything
    ]
    cached_client.get("/api/v1/data/bars/AAPL", headers=viewer)  # warm the window
    hits_before = cached_app.state.bars_reader.windows.hits
    for cutoff in cutoffs:
        as_of = cutoff if isinstance(cutoff, str) else cutoff.isoformat()
        response = cached_client.get("/api/v1/data/bars/AAPL", params={"as_of": as_of}, headers=viewer)
        body = BarsPublic.model_validate(response.json())
        fresh = BarStore(database).read(["AAPL"], as_of=as_of)
        assert body.count == len(body.bars) == len(fresh), as_of
        assert [b.ts for b in body.bars] == list(fresh["ts"])
        assert [b.close for b in body.bars] == fresh["close"].tolist()
        assert body.as_of == datetime.fromisoformat(as_of)
    assert cached_app.state.bars_reader.windows.hits - hits_before == len(cutoffs)


def test_a_start_after_as_of_is_refused_from_a_warm_cache_too(cached_client, keys, loaded):
    viewer = auth(keys[Role.VIEWER])
    params = {"start": "2024-02-01", "end": "2024-03-01"}
    assert cached_client.get("/api/v1/data/bars/AAPL", params=params, headers=viewer).status_code == 200
    refused = cached_client.get("/api/v1/data/bars/AAPL", params={**params, "as_of": "2024-01-15T00:00:00Z"},
                                headers=viewer)
    assert refused.status_code == 400 and "2024-02-01" in refused.json()["error"]["message"]
