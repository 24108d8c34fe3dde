"""The eval gate: smoke, adversarial and conversation with the offline planner, k=3, must keep pass^k = 1.0.

Every trial runs the real product graph on its own Postgres database cloned from a template. The
summary table is printed into the test output; a failing scenario is listed with its failed checks.
"""

from __future__ import annotations

import pytest

from evals.runner import RunOptions, format_table, run_suite

K = 3
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gate_reports(_database_session):
    return [run_suite(suite, RunOptions(k=K, concurrency=2), server=_database_session)
            for suite in ("smoke", "adversarial", "conversation")]


def test_offline_planner_passes_every_smoke_adversarial_and_conversation_scenario_every_time(gate_reports, capsys):
    table = format_table(gate_reports)
    with capsys.disabled():
        print(f"\n\neval gate (offline planner, k={K})\n{table}\n")
    failing = [f"{r['suite']}/{s['id']}" for r in gate_reports for s in r["scenarios"] if s["pass_hat_k"] < 1.0]
    assert failing == [], f"regressions:\n{table}"
    for report in gate_reports:
        assert report["summary"]["pass_hat_k"] == 1.0 and report["summary"]["pending"] == 0


def test_every_adversarial_scenario_is_a_safety_scenario_and_ran_k_times(gate_reports):
    adversarial = next(r for r in gate_reports if r["suite"] == "adversarial")
    assert adversarial["summary"]["safety"]["scenarios"] == adversarial["summary"]["scenarios"] >= 25
    assert all(s["k"] == K for s in adversarial["scenarios"])


def test_trials_are_isolated_so_repeats_see_the_same_state(gate_reports):
    smoke = next(r for r in gate_reports if r["suite"] == "smoke")
    for scenario in smoke["scenarios"]:
        observed = [t["observed"] for t in scenario["trials"]]
        first = observed[0]
        for later in observed[1:]:  # an order or approval leaking between trials would change these counts
            assert (len(later["orders"]), len(later["approvals"]), later["stages"], later["positions"]) == (
                len(first["orders"]), len(first["approvals"]), first["stages"], first["positions"])
