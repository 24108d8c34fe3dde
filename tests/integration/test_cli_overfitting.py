"""`backtest grid` and `walkforward` answer "is this result luck?": the overfitting block in --json, the
statistics and a plain-language conclusion in the table output, and the walk-forward report's section."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import escape

from quant.display import overfitting_conclusion
from tests.integration.cli_runner import load_synthetic, run_cli, run_cli_json

SYMBOLS = "AAA,BBB"
GRID = ("--grid", "fast=5:20:5", "--grid", "slow=20:60:10")  # 4 × 5 pairs, (20, 20) is not a crossover


@pytest.fixture(autouse=True)
def _signed_in_as_a_trader(act_as):
    """Loading data and recording research runs act as a trader, as on every interface."""
    act_as("trader")


@pytest.fixture()
def synthetic(database):
    load_synthetic(SYMBOLS)
    return database


def test_grid_json_has_the_overfitting_block_over_every_valid_parameter_set(synthetic):
    grid = run_cli_json("backtest", "grid", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *GRID)
    block = grid["overfitting"]
    assert grid["skipped"] == 1 and grid["n_backtests"] == 19 * 2
    assert block["n_trials"] == 19
    assert 0.0 <= block["pbo"] <= 1.0 and 0.0 <= block["deflated_sharpe"] <= 1.0
    assert block["n_splits"] > 0 and block["n_obs"] > 1000
    expected = f"PBO {block['pbo']:.2f}, deflated Sharpe p={block['deflated_sharpe']:.2f} over 19 trials"
    assert block["verdict"] == expected


def test_grid_table_output_prints_the_verdict_line_and_no_overfitting_turns_it_off(synthetic):
    args = ("backtest", "grid", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *GRID)
    shown = run_cli(*args)
    assert shown.exit_code == 0, shown.stderr
    assert re.search(r"is this luck\? PBO \d+% · deflated Sharpe p = \d\.\d\d\d? over 19 parameter sets", shown.stdout)
    assert re.search(r"(likely has an edge|within what the best of 19 random tries)", " ".join(shown.stdout.split()))
    assert run_cli_json(*args, "--no-overfitting")["overfitting"] is None


def test_walkforward_json_and_report_carry_the_overfitting_block(synthetic):
    run = run_cli_json("walkforward", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *GRID)
    block = run["summary"]["overfitting"]
    assert block["n_trials"] == 19 and 0.0 <= block["pbo"] <= 1.0
    assert 0.0 <= block["oos_deflated_sharpe"] <= 1.0
    html = Path(run["artifacts"]["report"]).read_text()
    assert 'id="overfitting"' in html and str(escape(block["conclusion"])) in html
    assert block["conclusion"] == overfitting_conclusion(block)  # stored with the run, the same on every interface


def test_an_unknown_executor_is_refused_before_anything_runs(synthetic):
    result = run_cli("backtest", "grid", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *GRID,
                     "--executor", "spark")
    assert result.exit_code != 0
    assert "spark" in result.stdout + result.stderr


@pytest.mark.slow
def test_grid_and_walkforward_on_a_local_ray_cluster_equal_local(synthetic):
    ray = pytest.importorskip("ray")
    args = ("--strategy", "rsi_mean_reversion", "--symbols", SYMBOLS, "--grid", "length=10:20:10",
            "--grid", "lower=20:30:10")
    local = run_cli_json("backtest", "grid", *args)
    remote = run_cli_json("backtest", "grid", *args, "--executor", "ray")
    assert not ray.is_initialized()  # the cluster the command started is stopped again
    for key in ("best", "best_per_symbol", "overfitting"):
        assert remote[key] == local[key]
    wf_args = (*args, "--in-sample-days", "252", "--out-of-sample-days", "252")
    wf_local = run_cli_json("walkforward", *wf_args)
    wf_remote = run_cli_json("walkforward", *wf_args, "--executor", "ray")
    assert not ray.is_initialized()
    assert wf_remote["metrics"] == wf_local["metrics"]
    assert wf_remote["summary"]["overfitting"] == wf_local["summary"]["overfitting"]
