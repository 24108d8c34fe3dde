"""The research workbench from the command line: cost and capital flags echoed and stored, Black–Litterman views
and optimisation targets, indicator values point in time, stored runs listed and shown, walk-forward folds with
their chosen parameters, and help that names every option whole."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.cli_runner import load_synthetic, run_cli, run_cli_json

SYMBOLS = "AAA,BBB"
COSTS = ("--capital", "50000", "--commission", "2", "--commission-per-share", "0.01", "--slippage-bps", "5")
GRID = ("--grid", "fast=5:15:5", "--grid", "slow=30:60:30")


@pytest.fixture(autouse=True)
def _signed_in_as_a_trader(act_as):
    """Loading data and recording research runs act as a trader, as on every interface."""
    act_as("trader")


@pytest.fixture()
def synthetic(database):
    load_synthetic(SYMBOLS + ",CCC", start="2017-01-01")
    return database


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_cost_flags_are_echoed_stored_and_charged_on_every_simulated_run(synthetic):
    echo = "starting capital $50,000.00 · commission $2.00 per order + $0.01 per share · slippage 5 bps"
    backtest = run_cli_json("backtest", "run", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *COSTS)
    cheap = run_cli_json("backtest", "run", "--strategy", "sma_crossover", "--symbols", SYMBOLS, "--capital", "50000",
                         "--commission", "0", "--slippage-bps", "5")
    shown = run_cli("backtest", "run", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *COSTS)
    grid = run_cli("backtest", "grid", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *GRID, *COSTS)
    walk = run_cli_json("walkforward", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *GRID, *COSTS)

    expected = {"initial_capital": 50_000, "commission_per_order": 2, "commission_per_share": 0.01,
                "slippage_bps": 5}
    assert expected.items() <= backtest["config"].items() and expected.items() <= walk["config"]["backtest"].items()
    assert echo in _one_line(shown.stdout) and echo in _one_line(grid.stdout)
    trades = backtest["metrics"]["trades"]
    assert backtest["summary"]["fees_paid"] > 2 * 2 * trades - 2  # $2 an order, two orders a round trip, + shares
    assert backtest["equity_final"] < cheap["equity_final"]


def test_black_litterman_views_targets_and_the_whole_share_allocation(synthetic):
    neutral = run_cli_json("optimize", "--method", "black_litterman", "--symbols", "AAA,BBB,CCC")
    bullish = run_cli_json("optimize", "--method", "black_litterman", "--symbols", "AAA,BBB,CCC",
                           "--view", "CCC=40%@90%")
    target = run_cli_json("optimize", "--method", "efficient_return", "--symbols", "AAA,BBB,CCC", "--target-return",
                          "0.05")
    table = run_cli("optimize", "--method", "hrp", "--symbols", "AAA,BBB,CCC", "--value", "50000")
    missing = run_cli("optimize", "--method", "efficient_risk", "--symbols", "AAA,BBB,CCC")
    bad_view = run_cli("optimize", "--method", "black_litterman", "--symbols", "AAA,BBB", "--view", "AAA=0.1")

    assert bullish["weights"]["CCC"] > neutral["weights"]["CCC"] + 0.05
    assert target["expected_annual_return"] == pytest.approx(0.05, abs=1e-4)
    assert table.exit_code == 0 and re.search(r"symbol\s+weight\s+shares", table.stdout)
    assert re.search(r"whole shares for \$50,000\.00: \$[\d,]+\.\d\d invested", _one_line(table.stdout))
    assert missing.exit_code == 2 and "efficient_risk needs --target-volatility" in missing.stderr
    assert bad_view.exit_code == 2 and "SYMBOL=RETURN@CONFIDENCE" in bad_view.stderr


def test_indicator_values_are_computed_from_the_bars_known_at_as_of(synthetic):
    from memory.bars import BarStore
    from quant.indicators.registry import compute

    shown = run_cli_json("indicators", "show", "AAA", "rsi:length=14", "sma:length=20", "--as-of", "2020-06-30",
                         "--last", "3")
    bars = BarStore(synthetic).read(["AAA"], as_of="2020-06-30")
    rsi = compute("rsi", bars, length=14)

    assert [row["date"] for row in shown["rows"]] == [ts.date().isoformat() for ts in bars["ts"].iloc[-3:]]
    assert shown["rows"][-1]["date"] <= "2020-06-30"
    assert shown["rows"][-1]["RSI_14"] == pytest.approx(float(rsi.iloc[-1]))
    assert shown["rows"][-1]["SMA_20"] == pytest.approx(float(bars["close"].iloc[-20:].mean()))
    table = run_cli("indicators", "show", "AAA", "rsi:length=14", "--last", "2")
    assert table.exit_code == 0 and "RSI_14" in table.stdout
    unknown = run_cli("indicators", "show", "AAA", "no_such_indicator")
    assert unknown.exit_code == 2 and "no_such_indicator" in unknown.stderr


def test_runs_are_listed_with_filters_and_shown_as_they_were_reported(synthetic):
    first = run_cli_json("backtest", "run", "--strategy", "sma_crossover", "--symbols", SYMBOLS)
    other = run_cli_json("backtest", "run", "--strategy", "ema_crossover", "--symbols", "CCC")
    walk = run_cli_json("walkforward", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *GRID)

    assert [r["run_id"] for r in run_cli_json("runs", "list")] == [walk["run_id"], other["run_id"], first["run_id"]]
    assert [r["run_id"] for r in run_cli_json("runs", "list", "--kind", "backtest", "--symbol", "aaa")] == [
        first["run_id"]]
    assert run_cli_json("runs", "list", "--strategy", "ema_crossover")[0]["run_id"] == other["run_id"]
    assert run_cli_json("runs", "list", "--status", "failed") == []
    shown = run_cli("runs", "show", str(walk["run_id"]))
    assert shown.exit_code == 0 and walk["data_hash"] in shown.stdout  # `show` prints whole hashes
    assert "fast=" in shown.stdout and "is this luck?" in shown.stdout
    assert run_cli_json("runs", "show", str(first["run_id"]))["config_hash"] == first["config_hash"]
    assert run_cli("runs", "list", "--kind", "nonsense").exit_code == 2
    assert run_cli("runs", "show", "999999").exit_code == 2


def test_walk_forward_shows_each_folds_chosen_parameters_and_whole_trade_counts(synthetic):
    walk = run_cli_json("walkforward", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *GRID)
    shown = run_cli("runs", "show", str(walk["run_id"]))
    folds = walk["summary"]["folds"]

    assert all(isinstance(f["trades"], int) for f in folds)
    assert sum(f["trades"] for f in folds) == walk["metrics"]["trades"]
    for fold in folds:
        params = f"fast={fold['params']['fast']}, slow={fold['params']['slow']}"
        assert re.search(rf"^{fold['fold']}\s+{fold['oos_start']}\.\.{fold['oos_end']}\s+{params}\s+{fold['trades']}\s",
                         shown.stdout, flags=re.MULTILINE)
    header = re.search(r"· ([\d,]+) trades ·", Path(walk["artifacts"]["report"]).read_text())
    assert header and int(header.group(1).replace(",", "")) == walk["metrics"]["trades"]
    pf, win = (walk["metrics"].get(k) for k in ("profit_factor", "win_rate"))
    assert not (pf == 0 and win and win > 0)  # ratios from the pooled trades, never an average of ratios


def test_help_names_every_option_whole_at_80_columns():
    env = {"COLUMNS": "80", "PATH": "/usr/bin:/bin"}
    for command in (["walkforward"], ["backtest", "run"], ["optimize"], ["indicators", "show"], ["runs", "list"]):
        result = subprocess.run([sys.executable, "-m", "api.cli", *command, "--help"], capture_output=True,
                                text=True, timeout=60, env=env, cwd=Path(__file__).resolve().parents[2])
        assert result.returncode == 0, result.stderr
        assert "…" not in result.stdout and all(len(line) <= 80 for line in result.stdout.splitlines())
    flags = subprocess.run([sys.executable, "-m", "api.cli", "walkforward", "--help"], capture_output=True,
                           text=True, timeout=60, env=env, cwd=Path(__file__).resolve().parents[2]).stdout
    for flag in ("--out-of-sample-days", "--commission-per-share", "--slippage-bps", "--capital"):
        assert flag in flags


@pytest.mark.parametrize(("args", "expected"), [
    (("backtest", "run", "--strategy"), "requires an argument"),
    (("backtest", "run", "--strategy", "sma_crossover", "--symbols", "AAA", "--bogus"), "No such option: --bogus"),
    (("montecarlo", "abc"), "Invalid value"),
    (("backtest", "run", "--strategy", "sma_crossover", "--symbols", "AAA", "--capital", "-5"), "--capital"),
])
def test_every_usage_error_is_one_line_with_exit_code_2(args, expected):
    result = run_cli(*args)
    assert result.exit_code == 2 and expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_report_copied_elsewhere_brings_plotly_along_and_stays_small(synthetic, tmp_path):
    target = tmp_path / "shared" / "sma.html"
    run = run_cli_json("backtest", "run", "--strategy", "sma_crossover", "--symbols", SYMBOLS, "--report", str(target))
    stored = Path(run["artifacts"]["report"])

    assert run["artifacts"]["report_copy"] == str(target) and target.read_text() == stored.read_text()
    assert (target.parent / "plotly.min.js").is_file() and (stored.parent / "plotly.min.js").is_file()
    assert stored.stat().st_size < 1_500_000 and '<script src="plotly.min.js"' in stored.read_text()
