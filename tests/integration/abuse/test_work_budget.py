"""Every research request is sized before it runs (combinations × symbols × bars, × paths for Monte Carlo):
over the budget it is refused on the API, the CLI, MCP and in a chat, naming the estimate, the budget and the
setting to raise, and nothing is stored or run."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from guardrails.policy import Role
from memory.runs import RunStore
from tests.integration.abuse.conftest import auth, make_settings
from tests.integration.cli_runner import run_cli
from tests.support.people import SYSTEM

GRID = {"fast": list(range(2, 12)), "slow": list(range(12, 32))}  # 200 pairs on ~60 sessions = ~12,000 cells


@pytest.fixture()
def small_budget(configure):
    configure(QUANTPILOT_RESEARCH_MAX_CELLS=1_000, QUANTPILOT_RESEARCH_MAX_PATH_CELLS=10_000)


@pytest.fixture()
def client(database, small_budget):
    from api.app import create_app

    app = create_app(make_settings(), database=database)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    jobs = getattr(app.state, "research_jobs", None)
    if jobs is not None:
        jobs.shutdown(wait=True)


def _backtest_run(database) -> int:
    from services.research import ResearchService

    return ResearchService(database, actor=SYSTEM).backtest("sma_crossover", ["AAPL"], {"fast": 5, "slow": 20},
                                                            report=False)["run_id"]


def _refusal_names_estimate_budget_and_setting(message: str, setting: str) -> None:
    assert "cells of work" in message and "the budget is" in message, message
    assert setting in message, message


@pytest.mark.parametrize("path, body", [
    ("/api/v1/research/grid", {"strategy": "sma_crossover", "symbols": ["AAPL"], "grid": GRID}),
    ("/api/v1/research/walk-forward", {"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"], "grid": GRID,
                                       "in_sample_days": 20, "out_of_sample_days": 10}),
], ids=["grid", "walk_forward"])
def test_an_over_budget_grid_or_walk_forward_is_refused_by_the_api_before_anything_is_queued(
        client, loaded, keys, path, body):
    answer = client.post(path, json=body, headers=auth(keys[Role.TRADER]))

    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "work_budget_exceeded"
    _refusal_names_estimate_budget_and_setting(error["message"], "QUANTPILOT_RESEARCH_MAX_CELLS")
    assert error["details"]["estimate"]["cells"] > error["details"]["budget_cells"] == 1_000
    assert RunStore(loaded).list() == []


def test_an_over_budget_monte_carlo_is_refused_by_the_api(client, loaded, keys):
    source = _backtest_run(loaded)

    answer = client.post("/api/v1/research/monte-carlo", json={"source_run_id": source, "n_paths": 5_000},
                         headers=auth(keys[Role.TRADER]))

    assert answer.status_code == 400, answer.text
    _refusal_names_estimate_budget_and_setting(answer.json()["error"]["message"], "QUANTPILOT_RESEARCH_MAX_PATH_CELLS")
    assert [r.id for r in RunStore(loaded).list()] == [source]


def test_a_request_within_the_budget_still_runs(client, loaded, keys):
    from tests.integration.api_agent.conftest import wait_for_run

    answer = client.post("/api/v1/research/grid", headers=auth(keys[Role.TRADER]), json={
        "strategy": "sma_crossover", "symbols": ["AAPL"], "grid": {"fast": [3, 5], "slow": [10, 15]}})

    assert answer.status_code == 202, answer.text
    assert wait_for_run(client, answer.json()["run_id"], auth(keys[Role.VIEWER]))["status"] == "done"


@pytest.mark.parametrize("args", [
    ("backtest", "grid", "--strategy", "sma_crossover", "--symbols", "AAPL", "--grid", "fast=2:11:1",
     "--grid", "slow=12:31:1"),
    ("walkforward", "--strategy", "sma_crossover", "--symbols", "AAPL", "--grid", "fast=2:11:1",
     "--grid", "slow=12:31:1", "--in-sample-days", "20", "--out-of-sample-days", "10"),
], ids=["grid", "walk_forward"])
def test_an_over_budget_grid_or_walk_forward_is_refused_by_the_cli_with_exit_2(loaded, small_budget, act_as, args):
    act_as("trader")

    result = run_cli(*args)

    assert result.exit_code == 2, result.stdout + result.stderr
    _refusal_names_estimate_budget_and_setting(" ".join(result.stderr.split()), "QUANTPILOT_RESEARCH_MAX_CELLS")
    assert "Traceback" not in result.stderr
    assert RunStore(loaded).list() == []


def test_an_over_budget_monte_carlo_is_refused_by_the_cli(loaded, small_budget, act_as):
    act_as("trader")
    source = _backtest_run(loaded)

    result = run_cli("montecarlo", str(source), "--paths", "5000")

    assert result.exit_code == 2, result.stdout + result.stderr
    _refusal_names_estimate_budget_and_setting(" ".join(result.stderr.split()), "QUANTPILOT_RESEARCH_MAX_PATH_CELLS")
    assert [r.id for r in RunStore(loaded).list()] == [source]


def _mcp_call(database, name: str, args: dict):
    from api.mcp_server import McpCaller, product_toolbox
    from config import get_settings

    return product_toolbox(get_settings(), database).call(McpCaller("mcp-trader", "trader"), name, args)


def test_an_over_budget_walk_forward_or_monte_carlo_is_refused_through_mcp(loaded, small_budget):
    source = _backtest_run(loaded)

    walk, walk_ok = _mcp_call(loaded, "run_walk_forward", {"strategy_config": {
        "strategy": "sma_crossover", "symbols": ["AAPL"], "params": GRID}, "in_sample_days": 20,
        "out_of_sample_days": 10})
    paths, paths_ok = _mcp_call(loaded, "run_monte_carlo", {"run_id": source, "n_paths": 5_000})

    assert not walk_ok and walk["code"] == "work_budget_exceeded", walk
    _refusal_names_estimate_budget_and_setting(walk["message"], "QUANTPILOT_RESEARCH_MAX_CELLS")
    assert not paths_ok and paths["code"] == "work_budget_exceeded", paths
    assert [r.id for r in RunStore(loaded).list()] == [source]


def test_an_over_budget_walk_forward_asked_in_a_chat_is_refused_and_the_answer_says_so(client, loaded, keys, configure):
    configure(QUANTPILOT_RESEARCH_MAX_CELLS=10)  # even the default one-combination walk-forward is too big

    answer = client.post("/api/v1/threads/thr_budgetchat01/runs", headers=auth(keys[Role.TRADER]),
                         json={"message": "run a walk-forward of an sma crossover on AAPL"})

    assert answer.status_code == 200, answer.text
    turn = answer.json()
    calls = [c for c in turn["tool_calls"] if c["name"] == "run_walk_forward"]
    assert calls, turn["tool_calls"]
    assert "budget" in turn["answer"].lower() or "cells" in turn["answer"].lower(), turn["answer"]
    assert RunStore(loaded).list() == []
