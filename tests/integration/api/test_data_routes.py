"""Market-data routes return what the market-data service holds, point in time, in the declared shapes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from api.schemas.data import BarsPublic, BatchBarsPublic, LoadReportPublic, QualityPublic, SymbolsPublic
from guardrails.policy import Role
from services.market_data import MarketDataService
from tests.integration.api.conftest import END, START, auth
from tests.support.people import SYSTEM


@pytest.fixture()
def viewer(keys):
    return auth(keys[Role.VIEWER])


def test_symbols_lists_what_the_service_stores(client, viewer, loaded):
    body = SymbolsPublic.model_validate(client.get("/api/v1/data/symbols", headers=viewer).json())
    stored = {s.symbol: s.bars for s in MarketDataService(loaded, actor=SYSTEM).list_symbols()}
    assert {s.symbol: s.bars for s in body.symbols} == stored == {"AAPL": stored["AAPL"], "MSFT": stored["MSFT"]}
    assert body.count == 2


def test_bars_equal_the_stored_bars_and_validate_against_the_model(client, viewer, loaded):
    response = client.get("/api/v1/data/bars/aapl", headers=viewer)
    body = BarsPublic.model_validate(response.json())
    stored = MarketDataService(loaded, actor=SYSTEM).show("AAPL")
    assert response.headers["content-type"] == "application/json"
    assert body.symbol == "AAPL" and body.count == len(stored) == len(body.bars)
    assert [b.ts for b in body.bars] == list(stored["ts"])
    assert [b.close for b in body.bars] == pytest.approx(stored["close"].tolist())
    assert [b.volume for b in body.bars] == pytest.approx(stored["volume"].tolist())


def test_bars_never_include_anything_after_as_of(client, viewer, loaded):
    cutoff = "2024-02-15T00:00:00Z"
    body = BarsPublic.model_validate(client.get("/api/v1/data/bars/AAPL", params={"as_of": cutoff},
                                                headers=viewer).json())
    assert body.bars and max(b.ts for b in body.bars) <= pd.Timestamp(cutoff)
    assert body.as_of == pd.Timestamp(cutoff)
    full = MarketDataService(loaded, actor=SYSTEM).show("AAPL")
    assert body.count == int((full["ts"] <= pd.Timestamp(cutoff)).sum())


def test_start_and_end_bound_the_bars(client, viewer, loaded):
    body = client.get("/api/v1/data/bars/MSFT", params={"start": "2024-02-01", "end": "2024-02-29"},
                      headers=viewer).json()
    days = {pd.Timestamp(b["ts"]).date() for b in body["bars"]}
    assert days and min(days) >= date(2024, 2, 1) and max(days) <= date(2024, 2, 29)


def test_closes_only_prices_are_null_not_nan(client, viewer, database):
    frame = pd.DataFrame({"symbol": "CLO", "ts": pd.to_datetime(["2024-01-02", "2024-01-03"], utc=True),
                          "open": float("nan"), "high": float("nan"), "low": float("nan"), "close": [10.0, 11.0],
                          "volume": float("nan")})
    MarketDataService(database, actor=SYSTEM).bars.upsert(frame, "test")
    response = client.get("/api/v1/data/bars/CLO", headers=viewer)
    assert "NaN" not in response.text
    assert response.json()["bars"][0] == {"ts": "2024-01-02T00:00:00Z", "open": None, "high": None, "low": None,
                                          "close": 10.0, "volume": None}


def test_the_seed_002_alias_returns_the_same_bars(client, viewer, loaded):
    params = {"as_of": "2024-03-01T00:00:00Z"}
    main = client.get("/api/v1/data/bars/AAPL", params=params, headers=viewer).json()
    alias = client.get("/api/v1/market-data/AAPL", params=params, headers=viewer).json()
    assert alias == main


def test_batch_returns_each_symbol_once_at_one_point_in_time(client, viewer, loaded):
    response = client.post("/api/v1/market-data/batch", json={"symbols": ["AAPL", "MSFT", "AAPL"]}, headers=viewer)
    body = BatchBarsPublic.model_validate(response.json())
    assert [r.symbol for r in body.results] == ["AAPL", "MSFT"]
    assert body.results[0].as_of == body.results[1].as_of


def test_batch_with_an_unknown_symbol_is_404(client, viewer, loaded):
    response = client.post("/api/v1/market-data/batch", json={"symbols": ["AAPL", "ZZZZ"]}, headers=viewer)
    assert response.status_code == 404 and "ZZZZ" in response.json()["error"]["message"]


def test_quality_is_the_latest_report(client, viewer, loaded):
    body = QualityPublic.model_validate(client.get("/api/v1/data/quality/MSFT", headers=viewer).json())
    assert body.symbol == "MSFT" and body.source == "synthetic"
    assert body.n_rows == len(MarketDataService(loaded, actor=SYSTEM).show("MSFT"))


def test_load_stores_bars_and_reports_counts(client, keys, database):
    response = client.post("/api/v1/data/load", json={"source": "synthetic", "symbols": ["JNJ"],
                                                      "start": str(START), "end": str(END)},
                           headers=auth(keys[Role.TRADER]))
    report = LoadReportPublic.model_validate(response.json())
    stored = MarketDataService(database, actor=SYSTEM).show("JNJ")
    assert report.inserted == report.rows == len(stored) > 0
    again = LoadReportPublic.model_validate(client.post(
        "/api/v1/data/load", json={"source": "synthetic", "symbols": ["JNJ"], "start": str(START), "end": str(END)},
        headers=auth(keys[Role.TRADER])).json())
    assert (again.inserted, again.unchanged) == (0, report.rows)


def test_collect_alias_loads_one_symbol(client, keys, database):
    response = client.post("/api/v1/data/collect/xom", json={"source": "synthetic", "start": str(START),
                                                             "end": str(END)}, headers=auth(keys[Role.TRADER]))
    assert response.json()["symbols"] == ["XOM"]
    assert len(MarketDataService(database, actor=SYSTEM).show("XOM")) == response.json()["rows"]


def test_schedule_stores_a_cron_job_and_rejects_a_bad_cron(client, keys, database):
    from memory.schedules import ScheduleStore

    ok = client.post("/api/v1/data/schedule", json={"symbols": ["AAPL"], "source": "synthetic",
                                                    "cron": "0 22 * * 1-5"}, headers=auth(keys[Role.TRADER]))
    bad = client.post("/api/v1/data/schedule", json={"symbols": ["AAPL"], "source": "synthetic",
                                                     "cron": "61 25 * * *"}, headers=auth(keys[Role.TRADER]))
    assert ok.status_code == 201 and ok.json()["cron"] == "0 22 * * 1-5"
    assert [s["id"] for s in ScheduleStore(database).list()] == [ok.json()["id"]]
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "config_error"


def test_the_symbols_summary_is_reused_until_bars_are_written_by_any_process_path(database, keys, loaded):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.integration.api.conftest import make_settings

    app = create_app(make_settings(symbols_cache_seconds=300), database=database)
    with TestClient(app) as client:
        first = client.get("/api/v1/data/symbols", headers=auth(keys[Role.VIEWER])).json()["count"]
        again = client.get("/api/v1/data/symbols", headers=auth(keys[Role.VIEWER])).json()["count"]
        hits_before_write = app.state.symbols_cache.hits
        MarketDataService(database, actor=SYSTEM).load("synthetic", ["JNJ"], START, END)  # behind the API's back
        after_direct = client.get("/api/v1/data/symbols", headers=auth(keys[Role.VIEWER])).json()["count"]
        client.post("/api/v1/data/load", json={"source": "synthetic", "symbols": ["XOM"], "start": str(START),
                                               "end": str(END)}, headers=auth(keys[Role.TRADER]))
        after_api = client.get("/api/v1/data/symbols", headers=auth(keys[Role.VIEWER])).json()["count"]
    assert (first, again, hits_before_write) == (2, 2, 1)
    assert (after_direct, after_api) == (3, 4)
