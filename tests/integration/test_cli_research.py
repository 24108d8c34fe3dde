"""Research from the CLI on stored bars: backtests, grids, walk-forward, Monte Carlo, optimisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_runner import load_synthetic, run_cli, run_cli_json

SYMBOLS = "AAA,BBB"


@pytest.fixture(autouse=True)
def _signed_in_as_a_trader(act_as):
    """Loading data and recording research runs act as a trader, as on every interface."""
    act_as("trader")


@pytest.fixture()
def synthetic(database):
    load_synthetic(SYMBOLS + ",CCC,DDD")
    return database


def _external_sources(html: str) -> list[str]:
    """src/href attributes of script and link tags that point off the page (script bodies are not markup)."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if tag in ("script", "link") and name in ("src", "href") and value and "://" in value:
                    found.append(value)

    Tags().feed(html)
    return found


def test_backtest_run_json_has_the_promised_keys_and_a_self_contained_report(synthetic):
    run = run_cli_json("backtest", "run", "--strategy", "sma_crossover", "--symbols", SYMBOLS, "--start", "2019-01-01",
                "--param", "fast=10", "--param", "slow=50")
    assert {"run_id", "config", "metrics", "equity_final"} <= set(run)
    assert {"total_return", "sharpe", "max_drawdown", "trades"} <= set(run["metrics"])
    assert run["config"]["initial_capital"] == 100_000 and run["config"]["slippage_bps"] == 10
    assert run["equity_final"] == pytest.approx(100_000 * (1 + run["metrics"]["total_return"]))
    assert _external_sources(Path(run["artifacts"]["report"]).read_text()) == []
    assert run["summary"]["start"] >= "2019-01-01"


def test_the_same_inputs_give_identical_results_and_hashes(synthetic):
    args = ("backtest", "run", "--strategy", "ema_crossover", "--symbols", SYMBOLS, "--start", "2019-06-01")
    first, second = run_cli_json(*args), run_cli_json(*args)
    assert first["run_id"] != second["run_id"]
    assert (first["metrics"], first["config_hash"], first["data_hash"]) == (
        second["metrics"], second["config_hash"], second["data_hash"])


def test_the_event_engine_agrees_with_the_vectorized_engine(synthetic):
    args = ("backtest", "run", "--strategy", "sma_crossover", "--symbols", SYMBOLS, "--start", "2019-01-01")
    vectorized, event = run_cli_json(*args), run_cli_json(*args, "--engine", "event")
    assert event["equity_final"] == pytest.approx(vectorized["equity_final"], rel=1e-9)
    assert event["metrics"]["trades"] == vectorized["metrics"]["trades"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--strategy", "no_such", "--symbols", SYMBOLS), "unknown strategy"),
        (("--strategy", "sma_crossover", "--symbols", SYMBOLS, "--param", "fast=50", "--param", "slow=10"), "slow"),
        (("--strategy", "sma_crossover", "--symbols", "NOPE"), "NOPE"),
        (("--strategy", "sma_crossover", "--symbols", SYMBOLS, "--start", "2022-01-01", "--end", "2021-01-01"),
         "after"),
        (("--strategy", "sma_crossover", "--symbols", SYMBOLS, "--engine", "quantum"), "engine"),
    ],
)
def test_bad_backtest_requests_get_a_clear_error(synthetic, args, expected):
    result = run_cli("backtest", "run", *args)
    assert result.exit_code == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_grid_skips_and_counts_invalid_pairs(synthetic):
    grid = run_cli_json("backtest", "grid", "--strategy", "sma_crossover", "--symbols", SYMBOLS,
                        "--grid", "fast=10:30:10", "--grid", "slow=20:40:10")
    valid_pairs = [(f, s) for f in (10, 20, 30) for s in (20, 30, 40) if s > f]
    assert grid["n_backtests"] == len(valid_pairs) * 2
    assert grid["skipped"] == 9 - len(valid_pairs)
    assert grid["elapsed_s"] >= 0 and grid["best"][0]["params"] in [{"fast": f, "slow": s} for f, s in valid_pairs]


def test_walkforward_stitches_out_of_sample_folds(synthetic):
    wf = run_cli_json("walkforward", "--strategy", "sma_crossover", "--symbols", SYMBOLS, "--grid", "fast=5:15:5",
               "--grid", "slow=20:40:20", "--in-sample-days", "252", "--out-of-sample-days", "126")
    folds = wf["summary"]["folds"]
    assert len(folds) >= 4
    assert all(a["oos_end"] < b["oos_start"] for a, b in zip(folds, folds[1:], strict=False))
    assert wf["summary"]["oos_bars"] == pytest.approx(sum(1 for _ in folds) * 126, abs=126)


def test_a_window_longer_than_the_data_is_refused(synthetic):
    result = run_cli("walkforward", "--strategy", "sma_crossover", "--symbols", SYMBOLS, "--grid", "fast=5",
                     "--grid", "slow=20", "--in-sample-days", "5000")
    assert result.exit_code == 2 and "needs at least" in result.stderr


def test_montecarlo_of_a_backtest_gives_ordered_percentiles(synthetic):
    run = run_cli_json("backtest", "run", "--strategy", "sma_crossover", "--symbols", SYMBOLS)
    mc = run_cli_json("montecarlo", str(run["run_id"]), "--paths", "500")
    final = mc["final_equity"]
    assert final["p5"] <= final["p25"] <= final["p50"] <= final["p75"] <= final["p95"]
    assert 0.0 <= mc["probability_of_loss"] <= 1.0


def test_optimize_weights_sum_to_one_within_bounds(synthetic):
    for method in ("max_sharpe", "min_volatility", "hrp"):
        result = run_cli_json("optimize", "--method", method, "--symbols", "AAA,BBB,CCC,DDD", "--as-of", "2022-06-30")
        weights = result["weights"]
        assert sum(weights.values()) == pytest.approx(1.0, abs=1e-6)
        assert all(-1e-9 <= w <= 1 + 1e-9 for w in weights.values())


def test_compare_names_the_best_run(synthetic):
    a = run_cli_json("backtest", "run", "--strategy", "sma_crossover", "--symbols", SYMBOLS)
    b = run_cli_json("backtest", "run", "--strategy", "rsi_mean_reversion", "--symbols", SYMBOLS)
    compared = run_cli_json("backtest", "compare", str(a["run_id"]), str(b["run_id"]))
    best = max((a, b), key=lambda r: r["metrics"]["sharpe"])
    assert compared["best"]["sharpe"] == best["run_id"]


def test_strategies_and_indicators_are_listed(synthetic):
    strategies = {s["name"] for s in run_cli_json("strategies", "list")}
    indicators = run_cli_json("indicators", "list")
    assert {"sma_crossover", "ema_crossover", "rsi_mean_reversion", "xs_momentum", "xgboost_model"} <= strategies
    assert len(indicators) >= 50


def test_a_grid_of_an_unknown_strategy_or_of_no_valid_set_says_why(synthetic):
    unknown = run_cli("backtest", "grid", "--strategy", "nope", "--symbols", SYMBOLS, "--grid", "fast=5:20:5")
    assert unknown.exit_code == 2 and "unknown strategy 'nope'; known:" in unknown.stderr
    inverted = run_cli("walkforward", "--strategy", "sma_crossover", "--symbols", SYMBOLS, "--grid", "fast=50:60:5",
                       "--grid", "slow=20:30:10")
    assert inverted.exit_code == 2
    assert "no valid parameter combination in the grid (6 invalid; the first:" in inverted.stderr
    assert "fast (50) must be < slow (20)" in inverted.stderr
    assert run_cli_json("runs", "list") == []


def test_ctrl_c_during_a_grid_says_interrupted_with_exit_130(synthetic, monkeypatch):
    """typer turns a KeyboardInterrupt inside a command into exit code 130 without a word; the person sees why."""
    from api.research_server import client

    def pressed_ctrl_c(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(client, "run_research", pressed_ctrl_c)
    result = run_cli("backtest", "grid", "--strategy", "sma_crossover", "--symbols", SYMBOLS, "--grid", "fast=5:10:5",
                     "--grid", "slow=20:30:10")
    assert result.exit_code == 130 and result.stderr.strip() == "error: interrupted"
