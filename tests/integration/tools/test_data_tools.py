"""Data tools against the real database, with synthetic bars loaded through MarketDataService."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from config import Settings
from services.market_data import MarketDataService
from tests.support.people import SYSTEM
from tools import ToolContext, all_tools

NOW = datetime(2024, 12, 31, 21, 0, tzinfo=UTC)
START, END = date(2024, 1, 2), date(2024, 6, 28)


@pytest.fixture()
def loaded(database):
    MarketDataService(database, actor=SYSTEM).load("synthetic", ["AAPL", "MSFT"], START, END)
    return database


def _tools(database, **extra):
    ctx = ToolContext(settings=Settings(), database=database, clock=lambda: NOW, data_sources=("synthetic",),
                      allow_network=False, **{"user": "tina", "role": "trader", **extra})
    return all_tools(ctx)


def test_fetch_reads_only_bars_known_at_as_of(loaded):
    from quant.data.calendar import trading_sessions

    result = _tools(loaded)["fetch_historical_data"].invoke({"symbol": "AAPL", "as_of": "2024-03-28"})
    expected_sessions = trading_sessions(START, date(2024, 3, 28))
    assert result["status"] == "ok"
    assert result["n_bars"] == len(expected_sessions)
    assert pd.Timestamp(result["last_ts"]) == expected_sessions[-1]
    stored = MarketDataService(loaded, actor=SYSTEM).show("AAPL", as_of="2024-03-28")
    assert result["last_close"] == pytest.approx(float(stored["close"].iloc[-1]))


def test_fetch_defaults_as_of_to_the_session_clock(loaded):
    result = _tools(loaded)["fetch_historical_data"].invoke({"symbol": "MSFT"})
    assert pd.Timestamp(result["as_of"]) == pd.Timestamp(NOW)
    assert pd.Timestamp(result["last_ts"]).date() == date(2024, 6, 28)


def test_fetch_loads_a_missing_symbol_from_the_configured_sources(loaded):
    result = _tools(loaded)["fetch_historical_data"].invoke({"symbol": "JNJ", "start_date": "2024-01-02",
                                                            "end_date": "2024-02-29"})
    assert result["status"] == "ok"
    assert result["loaded_from"] == "synthetic"
    assert result["n_bars"] > 30


def test_freshness_counts_sessions_since_the_last_bar(loaded):
    from quant.data.calendar import sessions_between

    tools = _tools(loaded)
    fresh = tools["check_data_freshness"].invoke({"symbol": "AAPL", "as_of": "2024-07-01"})
    assert fresh["sessions_behind"] == sessions_between(date(2024, 6, 28), date(2024, 7, 1)) == 1
    assert fresh["stale"] is False
    stale = tools["check_data_freshness"].invoke({"symbol": "AAPL", "as_of": "2024-07-26"})
    assert stale["sessions_behind"] == sessions_between(date(2024, 6, 28), date(2024, 7, 26))
    assert stale["stale"] is True


def test_freshness_of_data_months_old_names_its_last_bar(loaded):
    from quant.data.calendar import sessions_between

    old = _tools(loaded)["check_data_freshness"].invoke({"symbol": "AAPL"})  # the clock: 2024-12-31

    assert pd.Timestamp(old["last_bar_ts"]).date() == date(2024, 6, 28)
    assert old["sessions_behind"] == sessions_between(date(2024, 6, 28), NOW) and old["stale"] is True


def test_quality_report_of_a_loaded_symbol(loaded):
    result = _tools(loaded)["validate_data_quality"].invoke({"symbol": "AAPL"})
    assert result["status"] == "ok"
    assert result["source"] == "synthetic"
    assert result["n_errors"] == 0
    assert result["n_rows"] == len(MarketDataService(loaded, actor=SYSTEM).show("AAPL"))


def test_a_misspelt_symbol_is_refused_naming_the_stored_close_match(loaded):
    result = _tools(loaded)["validate_data_quality"].invoke({"symbol": "APPL"})
    assert result["status"] == "refused"
    assert result["codes"] == ["unknown_symbol"]
    assert result["details"]["unknown"] == {"APPL": ["AAPL"]}


def test_a_symbol_no_source_can_load_is_refused_as_unknown_with_the_failures(loaded):
    ctx = ToolContext(settings=Settings(), database=loaded, clock=lambda: NOW, data_sources=("bundled",),
                      allow_network=False, user="tina", role="trader")
    result = all_tools(ctx)["fetch_historical_data"].invoke({"symbol": "MSFTT"})
    assert result["status"] == "refused" and result["codes"] == ["unknown_symbol"]
    assert result["details"]["unknown"] == {"MSFTT": ["MSFT"]}
    assert result["details"]["tried"] == ["bundled"]


def test_data_health_counts_stored_symbols_and_names_the_stale_ones(loaded):
    result = _tools(loaded)["check_service_health"].invoke({"service_name": "data"})  # bars end 2024-06-28
    assert result["healthy"] is False and result["health_status"] == "degraded"
    assert result["checks"]["data"]["detail"].startswith("2 symbols stored; 2 stale, e.g. last bar 2024-06-28")


def test_the_chat_and_the_health_page_give_the_same_verdict(loaded):
    from services.health import system_health

    page = system_health(loaded, today=NOW.date())  # what the web Health page runs, at the same date
    summary = _tools(loaded)["generate_daily_summary"].invoke({})["summary"]
    health = _tools(loaded)["check_service_health"].invoke({})
    assert page.status.value == health["health_status"] == summary["health_status"] != "healthy"
    assert summary["health"]["data"] is False  # the stale symbols, on every interface


def test_portfolio_optimisation_on_stored_prices(loaded):
    result = _tools(loaded)["optimize_portfolio"].invoke({"method": "hrp", "symbols": ["AAPL", "MSFT"]})
    assert result["status"] == "ok"
    weights = result["summary"]["weights"]
    assert set(weights) == {"AAPL", "MSFT"}
    assert sum(weights.values()) == pytest.approx(1.0)


def test_promotion_of_a_walk_forward_run_registers_its_configuration_with_ladder_evidence(database):
    from memory.runs import RunStore
    from memory.strategies import StrategyRegistry

    store = RunStore(database)
    run_id = store.create("walkforward", strategy="sma_crossover", symbols=["AAPL"],
                          params={"fast": [5], "slow": [30]})
    store.finish(run_id, metrics={"sharpe": 1.3, "trades": 42, "max_drawdown": 0.125})
    other = store.create("backtest", strategy="sma_crossover", symbols=["AAPL"])
    store.finish(other, metrics={"sharpe": 0.7})
    tools = _tools(database)
    promotion = tools["request_promotion"].invoke({"run_id": run_id, "to_stage": "paper"})
    assert promotion["status"] == "approval_required"
    assert promotion["subject"]["strategy_id"] == "sma_crossover_aapl"
    assert promotion["evidence"]["oos_sharpe"] == 1.3
    assert promotion["evidence"]["trades"] == 42
    assert promotion["evidence"]["max_drawdown_pct"] == 12.5
    registered = StrategyRegistry(database).get("sma_crossover_aapl")
    assert registered.stage == "draft" and registered.params == {"fast": 5, "slow": 30, "allow_short": False}
    backtest_only = tools["request_promotion"].invoke({"run_id": other, "to_stage": "paper"})
    assert "oos_sharpe" not in backtest_only["evidence"]  # in-sample Sharpe is never out-of-sample evidence
    compared = tools["compare_runs"].invoke({"run_ids": [run_id, other]})
    assert [row["run_id"] for row in compared["summary"]["runs"]] == [run_id, other]
    assert compared["summary"]["runs"][1]["sharpe"] == 0.7
