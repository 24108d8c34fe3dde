"""Each benchmark module imports and runs its smallest workload (``--quick``); no timing asserts.

Scripts run as subprocesses, as ``benchmarks/run_all.py`` runs them, and their JSON lines are
checked for the workloads they promise and for facts that do not depend on the machine's speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"


def run_quick(*argv: str, python: str = sys.executable, timeout: int = 240) -> list[dict]:
    done = subprocess.run([python, *argv, "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(Path.home()),
                               "NUMBA_CACHE_DIR": str(ROOT / ".numba-cache")})
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def by_workload(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["workload"], []).append(r)
    return out


@pytest.mark.parametrize("workload,expected", [
    ("grid", {"sma_grid_174_pairs_x_20_stocks", "sma_grid_174_pairs_x_20_stocks_with_overfitting"}),
    ("sma", {"sma_10_50_crossover_20_stocks"}),
    ("event", {"event_loop_sma_crossover_synthetic_bars"}),
    ("walk_forward", {"walk_forward_10_folds_174_pairs_x_20_stocks"}),
])
def test_each_backtest_workload_runs_quick_and_reports_wall_and_cpu_time(workload, expected):
    records = run_quick("-W", "ignore::FutureWarning", "benchmarks/backtest_speed.py", "--workload", workload)

    assert records and {r["workload"] for r in records} == expected
    assert all(r["seconds"] > 0 and r["cpu_seconds"] >= 0 and "load_avg_1m" in r for r in records)


def test_the_quick_grid_runs_every_valid_pair_on_both_symbols_with_and_without_its_overfitting_report():
    grid, with_overfitting = run_quick("benchmarks/backtest_speed.py", "--workload", "grid")

    valid_pairs = sum(1 for f in range(5, 51, 5) for s in range(20, 201, 10) if f < s)
    assert grid["backtests"] == with_overfitting["backtests"] == valid_pairs * 2
    assert with_overfitting["n_splits"] > 0 and with_overfitting["overfitting_s"] > 0


def test_our_indicators_run_quick_and_equal_the_reference_values():
    records = by_workload(run_quick("benchmarks/indicators.py"))

    assert {"indicator_rsi14", "indicator_macd_12_26_9", "indicator_bbands_20_2", "indicator_atr14",
            "indicator_ema20", "indicators_all_five", "indicator_equality"} <= set(records)
    (equality,) = records["indicator_equality"]
    assert equality["equal"] is True
    assert all(part["compared"] > 0 for part in equality["per_output"].values())


def test_agent_turn_runs_quick_for_quantpilot_and_plain_langgraph():
    records = by_workload(run_quick("benchmarks/agent_turn.py"))

    same_nodes = "plain langgraph, quantpilot's nodes"
    assert {r["peer"] for r in records["agent_turn_in_memory"]} == {
        "quantpilot run_turn", "quantpilot graph.invoke", "plain langgraph", same_nodes}
    assert {r["peer"] for r in records["agent_interrupt_in_memory"]} == {
        "quantpilot run_turn/resume_turn", "plain langgraph", same_nodes}
    ours = next(r for r in records["agent_resume_in_memory"] if r["peer"] == "quantpilot run_turn/resume_turn")
    assert ours["over_plain_p50"] > 0 and ours["over_same_nodes_p50"] > 0
    assert all(r["p95_ms"] >= r["p50_ms"] > 0 for rs in records.values() for r in rs if "p50_ms" in r)
    assert len(records["agent_long_thread_in_memory"]) == 2


def test_the_report_render_runs_quick_in_a_fresh_process_and_reports_each_stage():
    *runs, medians = run_quick("benchmarks/report_render.py")

    assert len(runs) == 1 and medians["median_of"] == 1
    assert medians["page_kb"] > 100 and medians["peak_rss_mb"] > 0  # ten years of charts, plotly.js not inlined
    assert medians["process_to_page_s"] >= medians["first_render_s"] > 0 and medians["second_render_s"] > 0


@pytest.mark.slow
def test_ingest_runs_quick_on_a_fresh_embedded_postgres():
    records = by_workload(run_quick("benchmarks/ingest.py"))

    first = records["ingest_bundled_stocks"]
    assert {r["peer"] for r in first} == {"executemany insert", "pandas to sql", "plain copy",
                                          "quantpilot BarStore.upsert"}
    assert len({r["rows"] for r in first}) == 1 and first[0]["rows"] > 0
    assert records["ingest_rerun_bundled_stocks"][0]["rows"] == first[0]["rows"]


@pytest.mark.slow
def test_the_agent_flow_runs_quick_through_the_product_graph_to_the_approval_each_round():
    records = run_quick("benchmarks/agent_flow.py", timeout=600)

    turns = {r["turn"]: r for r in records}
    assert set(turns) == {"data", "backtest", "approval", "total"}
    assert all(r["n"] == 2 and r["p50_ms"] > 0 for r in turns.values())
    assert turns["total"]["goal_s"] == 1.0 and turns["total"]["seconds"] >= turns["backtest"]["seconds"]


@pytest.mark.slow
def test_end_to_end_commands_run_quick_on_their_own_home_with_wall_memory_and_the_grids_own_timings():
    records = by_workload(run_quick("benchmarks/end_to_end.py", timeout=900))

    commands = {r["command"]: r for r in records["e2e_cli"]}
    assert {"--help", "data list", "approvals list", "orders list", "risk status", "positions"} <= set(commands)
    assert all(r["exit_codes"] == [r["expect_exit"]] and r["peak_mb"] > 0 for r in commands.values())
    own, resident = records["e2e_backtest_grid"]
    assert (own["mode"], resident["mode"]) == ("own process", "resident")
    for grid in (own, resident):
        assert grid["elapsed_s"] > 0 and grid["overfitting_s"] > 0 and grid["exit_codes"] == [0]
    assert own["resident_peak_mb"] is None and resident["resident_peak_mb"] > 0
    assert own["kernel_load_s"] > resident["kernel_load_s"]  # the resident process loaded its kernels before
    for walk in records["e2e_walkforward"]:
        assert walk["exit_codes"] == [0] and walk["overfitting_s"] > 0


@pytest.mark.slow
@pytest.mark.skipif(not PEERS_PYTHON.exists(), reason="no .venv-peers (make -f Makefile.bench bench-peers-venv)")
@pytest.mark.parametrize("module,expected", [
    ("benchmarks.peers.indicators", {"indicators_all_five", "indicator_rsi14"}),
    ("benchmarks.peers.vectorbt_sma", {"sma_10_50_crossover_20_stocks", "sma_grid_174_pairs_x_20_stocks"}),
    ("benchmarks.peers.backtrader_sma", {"sma_10_50_crossover_20_stocks", "event_loop_sma_crossover_synthetic_bars"}),
    ("benchmarks.peers.vectorbt_grid_script", {"vectorbt_grid_script"}),
])
def test_each_peer_benchmark_runs_quick_in_the_peers_venv(module, expected):
    records = run_quick("-W", "ignore", "-m", module, python=str(PEERS_PYTHON))

    assert expected <= {r["workload"] for r in records}


@pytest.mark.slow
def test_api_load_short_run_serves_every_request_and_reports_memory(tmp_path):
    """The short version of the soak's 10-minute API load: a real `quantpilot serve` on its own embedded
    server, 10 clients for 3 s; no errors, every request answered, memory sampled (no timing asserts)."""
    out = tmp_path / "api_load.json"
    done = subprocess.run([sys.executable, "benchmarks/api_load.py", "--seconds", "3", "--clients", "10",
                           "--max-growth-mb", "100000", "--json", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=240,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(Path.home()),
                               "NUMBA_CACHE_DIR": str(ROOT / ".numba-cache")})

    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["errors"] == 0 and result["requests"] > 10
    assert result["endpoints"]["bars_250"]["n"] > 0 and result["rows_per_bars_response"] == 250
    assert result["memory"]["rss_mb_last"] > 0 and result["memory"]["samples"] >= 2
