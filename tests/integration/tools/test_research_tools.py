"""Strategy tools on the real database with synthetic bars: real services, compact results, runs recorded."""

from __future__ import annotations

import json

import numpy as np
import pytest

from memory.bars import BarStore
from memory.embeddings import Embedder
from memory.long_term import LongTermMemory
from memory.runs import RunStore
from tests.integration.tools.conftest import RESEARCH_NOW
from tests.support.people import EVE, SYSTEM
from tools.results import MAX_RESULT_CHARS

CONFIG = {"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"], "params": {"fast": 10, "slow": 50}}


def _closes(database, symbol: str):
    bars = BarStore(database).read([symbol], as_of=RESEARCH_NOW)
    return bars.set_index("ts")["close"]


def test_backtest_records_a_run_returns_its_headline_and_remembers_the_conclusion(tools, database):
    result = tools["backtest_strategy"].invoke({"strategy_config": CONFIG, "date_range": {"start": "2023-01-01"}})

    assert result["status"] == "ok" and len(json.dumps(result)) <= MAX_RESULT_CHARS
    summary = result["summary"]
    stored = RunStore(database).get(summary["run_id"])
    assert (stored.kind, stored.status, stored.symbols) == ("backtest", "done", ["AAPL", "MSFT"])
    assert summary["metrics"]["sharpe"] == pytest.approx(stored.metrics["sharpe"])
    assert summary["metrics"]["trades"] == stored.metrics["trades"]
    (hit,) = LongTermMemory(database, Embedder()).recall("alice", "SMA backtest on AAPL", k=5)
    assert hit.kind.value == "backtest_conclusion" and f"run {stored.id}" in hit.text


def test_walk_forward_and_monte_carlo_chain_on_stored_runs(tools, database):
    wf = tools["run_walk_forward"].invoke({"strategy_config": CONFIG, "in_sample_days": 252,
                                           "out_of_sample_days": 63})["summary"]
    assert wf["kind"] == "walkforward" and wf["out_of_sample"] is True and wf["n_folds"] >= 2
    assert RunStore(database).get(wf["run_id"]).params == {"fast": [10], "slow": [50]}

    backtest = tools["backtest_strategy"].invoke({"strategy_config": CONFIG})["summary"]
    mc = tools["run_monte_carlo"].invoke({"run_id": backtest["run_id"], "n_paths": 200})
    assert mc["status"] == "ok" and mc["summary"]["source_run"] == backtest["run_id"]
    child = RunStore(database).get(mc["summary"]["run_id"])
    assert child.kind == "montecarlo" and child.parent_id == backtest["run_id"]


def test_signals_match_the_moving_averages_of_the_stored_closes(tools, database):
    result = tools["generate_signals"].invoke({"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"],
                                               "params": {"fast": 5, "slow": 20}})
    assert result["status"] == "ok"
    for symbol in ("AAPL", "MSFT"):
        close = _closes(database, symbol)
        long = close.rolling(5).mean().iloc[-1] > close.rolling(20).mean().iloc[-1]
        assert result["summary"]["latest"][symbol] == (1.0 if long else 0.0)


def test_features_last_row_holds_the_last_daily_return(tools, database):
    result = tools["compute_features"].invoke({"symbol": "AAPL", "lookback": 60})
    assert result["status"] == "ok" and result["summary"]["rows"] == 60
    close = _closes(database, "AAPL")
    assert result["summary"]["last_row"]["ret_1"] == pytest.approx(close.iloc[-1] / close.iloc[-2] - 1, abs=1e-6)
    assert result["summary"]["last_row"]["log_ret_1"] == pytest.approx(np.log(close.iloc[-1] / close.iloc[-2]),
                                                                       abs=1e-6)


def test_list_strategies_names_each_with_its_defaults(tools):
    from quant.strategies.crossover import SmaCrossover

    summary = tools["list_strategies"].invoke({})["summary"]
    assert "sma_crossover" in summary["strategies"] and "rsi_mean_reversion" in summary["strategies"]
    assert summary["defaults"]["sma_crossover"] == SmaCrossover.Params().model_dump(mode="json")


def test_a_backtest_on_a_misspelt_symbol_is_refused_with_the_close_match_and_records_nothing(tools, database):
    result = tools["backtest_strategy"].invoke({"strategy_config": {**CONFIG, "symbols": ["APPL", "MSFT"]}})
    assert result["status"] == "refused" and result["codes"] == ["unknown_symbol"]
    assert result["details"]["unknown"] == {"APPL": ["AAPL"]}
    assert RunStore(database).list() == []


def test_the_kill_switch_check_reads_a_long_equity_curve_by_run_id(tools):
    backtest = tools["backtest_strategy"].invoke({"strategy_config": CONFIG})["summary"]

    result = tools["check_kill_switch"].invoke({"run_id": backtest["run_id"]})

    summary = result["summary"]
    assert result["status"] == "ok"
    assert summary["drawdown_pct"] >= 0 and summary["trading_status"] in ("active", "halted")
    # the run's curve is hundreds of sessions long: it went by reference, never through the model
    assert summary["active"] == (summary["drawdown_pct"] >= summary["max_drawdown_pct"]
                                 or summary["daily_loss_pct"] >= summary["daily_loss_limit_pct"])


def test_features_are_computed_from_the_stored_bars_however_old_the_last_one_is(database):
    """The bug: "compute features for AAPL" answered "no bars of AAPL known" with years of bars stored."""
    from datetime import UTC, datetime

    from config import Settings
    from services.market_data import MarketDataService
    from tools import ToolContext, all_tools

    MarketDataService(database, actor=SYSTEM).load("synthetic", ["AAPL"], "2018-01-02", "2019-12-31")
    later = datetime(2026, 12, 6, tzinfo=UTC)  # years after the last bar
    tools = all_tools(ToolContext(settings=Settings(), database=database, clock=lambda: later,
                                  data_sources=("synthetic",), allow_network=False))
    result = tools["compute_features"].invoke({"symbol": "AAPL", "lookback": 30})
    assert result["status"] == "ok" and result["summary"]["rows"] == 30
    assert result["summary"]["last_ts"].startswith("2019-12-31")


def test_the_chat_optimises_like_the_cli_with_the_same_lookback(tools, database, act_as):
    from tests.integration.cli_runner import run_cli_json

    act_as("trader")
    chat = tools["optimize_portfolio"].invoke({"method": "max_sharpe", "symbols": ["AAPL", "MSFT"],
                                               "as_of": "2024-06-28"})["summary"]
    cli = run_cli_json("optimize", "--method", "max_sharpe", "--symbols", "AAPL,MSFT", "--as-of", "2024-06-28")
    assert chat["weights"] == pytest.approx(cli["weights"], abs=1e-9)
    runs = RunStore(database)
    assert chat["n_observations"] == cli["n_observations"]
    assert runs.get(chat["run_id"]).params["lookback_days"] == runs.get(cli["run_id"]).params["lookback_days"] == 756


def test_a_chat_walk_forward_keeps_its_curve_hashes_and_folds_and_gets_a_report_on_demand(tools, database):
    from pathlib import Path

    from services.research import ResearchService

    wf = tools["run_walk_forward"].invoke({"strategy_config": {**CONFIG, "params": {"fast": [5, 10],
                                                                                     "slow": [20, 50]}}})["summary"]
    stored = RunStore(database).get(wf["run_id"])
    assert {"equity", "trades"} <= set(stored.artifacts) and "report" not in stored.artifacts
    assert stored.data_hash and stored.config_hash
    folds = stored.summary["folds"]
    assert all(isinstance(f["trades"], int) and set(f["params"]) == {"fast", "slow"} for f in folds)
    assert sum(f["trades"] for f in folds) == stored.metrics["trades"]
    html = Path(ResearchService(database, actor=EVE).report(wf["run_id"])).read_text()  # a viewer may read it
    assert 'id="equity-chart"' in html and f"{stored.metrics['trades']} trades" in html


def test_a_chat_backtest_and_walk_forward_trade_with_the_costs_asked_for_and_say_them(tools, database):
    costs = {"initial_capital": 50_000, "commission_per_order": 0, "commission_per_share": 0.005, "slippage_bps": 5}
    backtest = tools["backtest_strategy"].invoke({"strategy_config": CONFIG, "costs": costs})["summary"]
    walk = tools["run_walk_forward"].invoke({"strategy_config": CONFIG, "costs": costs})["summary"]
    default = tools["backtest_strategy"].invoke({"strategy_config": CONFIG})["summary"]

    stored = RunStore(database)
    assert costs.items() <= stored.get(backtest["run_id"]).config.items()
    assert costs.items() <= stored.get(walk["run_id"]).config["backtest"].items()
    assert backtest["costs"] == {**costs, "commission_bps": 0} == {k: walk["costs"][k] for k in backtest["costs"]}
    assert default["costs"]["initial_capital"] == 100_000 and default["equity_final"] > backtest["equity_final"]
    with pytest.raises(ValueError, match="costs.slippage"):  # a misspelt knob is refused, not dropped
        tools["backtest_strategy"].invoke({"strategy_config": CONFIG, "costs": {"slippage": 5}})
    assert RunStore(database).list(kind="backtest", limit=1)[0].id == default["run_id"]
