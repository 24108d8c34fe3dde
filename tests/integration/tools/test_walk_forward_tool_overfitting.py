"""The walk-forward tool's compact summary carries the overfitting headline of the stored run."""

from __future__ import annotations

import json

import pytest

from memory.runs import RunStore
from tools.results import MAX_RESULT_CHARS


def test_walk_forward_summary_says_how_likely_the_searched_result_is_luck(tools, database):
    config = {"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"], "params": {"fast": [5, 10], "slow": [30, 50]}}
    result = tools["run_walk_forward"].invoke({"strategy_config": config, "in_sample_days": 252,
                                               "out_of_sample_days": 63})
    assert result["status"] == "ok" and len(json.dumps(result)) <= MAX_RESULT_CHARS
    headline = result["summary"]["overfitting"]
    stored = RunStore(database).get(result["summary"]["run_id"]).summary["overfitting"]
    assert headline["n_trials"] == stored["n_trials"] == 4
    assert headline["verdict"] == stored["verdict"]
    assert headline["pbo"] == pytest.approx(stored["pbo"])
    assert headline["oos_deflated_sharpe"] == pytest.approx(stored["oos_deflated_sharpe"])
    assert "sharpe_variance" not in headline  # internals stay in the stored run
