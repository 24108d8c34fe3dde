"""The real app over the real database: an app per test, API keys for every role, synthetic bars."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.schemas.settings import ApiSettings
from guardrails.policy import Role
from memory.users import UserStore
from services.market_data import MarketDataService
from tests.support.people import SYSTEM

START, END = date(2024, 1, 2), date(2024, 3, 28)


def make_settings(**overrides) -> ApiSettings:
    values = {"rate_limit": "10000/minute", "auth_failure_limit": "10000/minute", "auth_cache_seconds": 0.0,
              "symbols_cache_seconds": 0.0}
    return ApiSettings(_env_file=None, **{**values, **overrides})


@pytest.fixture()
def api_settings() -> ApiSettings:
    return make_settings()


@pytest.fixture()
def app(database, api_settings):
    return create_app(api_settings, database=database)


@pytest.fixture()
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def keys(database) -> dict[Role, str]:
    """One active API key per role."""
    store = UserStore(database)
    return {role: store.add(f"{role.value}-user", role).api_key for role in Role}


@pytest.fixture()
def loaded(database):
    """AAPL and MSFT synthetic daily bars, Jan–Mar 2024, stored through the market-data service."""
    MarketDataService(database, actor=SYSTEM).load("synthetic", ["AAPL", "MSFT"], START, END)
    return database


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
