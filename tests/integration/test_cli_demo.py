"""``quantpilot demo`` run twice on one home: the second run reuses what the first stored instead of redoing it."""

from __future__ import annotations

import json

import pytest

from tests.integration.cli_runner import run_cli


def _bars(database) -> int:
    from sqlalchemy import text

    with database.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM bars")).scalar_one()


@pytest.mark.slow  # ~40 s: the whole demo, then its repeat
def test_a_second_demo_finds_the_prices_stages_and_replay_of_the_first_and_redoes_none(database, monkeypatch):
    monkeypatch.delenv("QUANTPILOT_API_KEY", raising=False)
    first = run_cli("demo", "--json")
    assert first.exit_code == 0, first.stderr
    story = json.loads(first.stdout[first.stdout.rindex("\n{") + 1:])
    bars = _bars(database)

    again = run_cli("demo", "--json")

    assert again.exit_code == 0, again.stderr
    repeat = json.loads(again.stdout[again.stdout.rindex("\n{") + 1:])
    placed = sum(story["paper"]["orders"].values())
    assert placed > 0 and story["approvals_gated"] == ["strategy", "paper"]
    assert "stored by an earlier demo run" in again.stdout and _bars(database) == bars
    assert repeat["approvals_gated"] == [] and repeat["stage"] == "paper"
    assert repeat["paper"]["replayed_before"] is True and sum(repeat["paper"]["orders"].values()) == placed
    assert repeat["paper"]["account_id"] == "demo" and repeat["paper"]["bars"] == 0  # nothing replayed again
