"""Comparing two eval runs: regressions, improvements, added and removed scenarios."""

from __future__ import annotations

import json

import pytest

from errors import ConfigError
from evals.compare import compare, load_reports


def report(rows: dict[str, tuple[float, float, int]]) -> dict:
    scenarios = [{"id": sid, "pass_hat_k": h, "pass_at_k": a, "passes": p, "k": 3} for sid, (h, a, p) in rows.items()]
    n = len(scenarios)
    return {"suite": "smoke", "scenarios": scenarios,
            "summary": {"pass_hat_k": sum(r[0] for r in rows.values()) / n,
                        "pass_at_k": sum(r[1] for r in rows.values()) / n, "trial_pass_rate": 0.0}}


def test_a_scenario_that_stopped_passing_every_trial_is_a_regression():
    a = report({"s1": (1, 1, 3), "s2": (0, 1, 2), "gone": (1, 1, 3)})
    b = report({"s1": (0, 1, 2), "s2": (1, 1, 3), "new": (1, 1, 3)})
    result = compare([a], [b])
    assert [r["scenario"] for r in result.regressions] == ["smoke/s1"]
    assert [r["scenario"] for r in result.improvements] == ["smoke/s2"]
    assert result.added == ["smoke/new"] and result.removed == ["smoke/gone"]


def test_an_unchanged_run_has_no_regression_and_zero_deltas():
    a = report({"s1": (1, 1, 3)})
    result = compare([a], [a])
    assert not result.regressions and result.suite_deltas["smoke"]["pass_hat_k"] == 0


def test_a_file_that_is_not_a_report_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ConfigError, match="not an eval report"):
        load_reports(path)
