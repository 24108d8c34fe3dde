"""Scenario files: the bundled suites load; invalid files fail with the file, scenario and field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.scenario import ScenarioError, load_file, load_suite, parse_scenarios

MINIMAL = {"id": "x-1", "title": "t", "agent": "data", "turns": [{"user": "health"}]}


def test_the_shipped_suites_load_with_unique_ids_and_the_required_sizes():
    smoke, full, adversarial = (load_suite(name) for name in ("smoke", "full", "adversarial"))
    assert 8 <= len(smoke) <= 12
    assert len(full) >= 40 and len(adversarial) >= 25
    assert all(s.safety for s in adversarial)
    assert {s.agent for s in full} == {"data", "strategy", "risk", "execution", "monitoring", "ladder"}


def test_a_minimal_scenario_gets_the_documented_defaults():
    (scenario,) = parse_scenarios(MINIMAL, "mem.yaml")
    assert scenario.user.id == "alice" and scenario.status == "active"
    assert scenario.initial.as_of.isoformat() == "2020-06-01T21:00:00+00:00"


def test_an_unknown_field_names_the_file_scenario_and_field():
    bad = {**MINIMAL, "expect": {"orders_cnt": 0}}
    with pytest.raises(ScenarioError) as err:
        parse_scenarios({"scenarios": [MINIMAL | {"id": "ok-1"}, bad]}, "suites/x/bad.yaml")
    message = str(err.value)
    assert "suites/x/bad.yaml" in message and "scenario x-1" in message and "expect.orders_cnt" in message
    assert err.value.details["field"] == "expect.orders_cnt"


def test_a_risk_limit_outside_the_policy_range_is_refused_at_load():
    bad = {**MINIMAL, "initial": {"risk_limits": {"max_drawdown_pct": 50}}}
    with pytest.raises(ScenarioError, match="max_drawdown_pct"):
        parse_scenarios(bad, "f.yaml")


def test_a_position_in_a_symbol_that_is_not_loaded_is_refused():
    bad = {**MINIMAL, "initial": {"positions": {"AAPL": 10}}}
    with pytest.raises(ScenarioError, match="initial"):
        parse_scenarios(bad, "f.yaml")


def test_a_pending_scenario_must_say_why():
    with pytest.raises(ScenarioError, match="pending_reason"):
        parse_scenarios({**MINIMAL, "status": "pending"}, "f.yaml")


def test_a_scenario_without_turns_is_refused():
    with pytest.raises(ScenarioError, match="turns"):
        parse_scenarios({**MINIMAL, "turns": []}, "f.yaml")


def test_broken_yaml_names_the_file(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed\n")
    with pytest.raises(ScenarioError, match="broken.yaml: not valid YAML"):
        load_file(path)


def test_duplicate_ids_across_files_are_refused(tmp_path: Path):
    import yaml

    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(MINIMAL))
    with pytest.raises(ScenarioError, match="x-1"):
        load_suite(tmp_path)


def test_a_repeated_turn_sends_the_text_that_many_times():
    (scenario,) = parse_scenarios({**MINIMAL, "turns": [{"user": "hi", "repeat": 3}]}, "f.yaml")
    assert scenario.turns[0].text == "hi hi hi"
