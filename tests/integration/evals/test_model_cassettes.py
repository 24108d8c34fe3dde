"""The recorded real-model sessions, replayed: ``make e2e-model`` served SmolLM2-135M-Instruct with
llama-cpp-python and recorded every exchange; here the same suites run through the real ``ChatOpenAI``
client against a loopback server that answers from those recordings only (no model, no network).

Every request must find its recording (a prompt that changed shows up as a miss: re-record with
``make e2e-model``) and every scenario must end as it did against the live model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ModelProvider, Settings
from evals.model_cassettes import Cassette, replaying_server
from evals.models import ModelSpec
from evals.runner import RunOptions, format_table, run_suite

CASSETTES = sorted((Path(__file__).parents[2] / "cassettes" / "model").glob("*.json"))
pytestmark = pytest.mark.slow


def test_there_is_a_recorded_real_model_session_for_smoke():
    assert {c.stem for c in CASSETTES} >= {"smollm2-smoke"}


@pytest.mark.parametrize("path", CASSETTES, ids=[c.stem for c in CASSETTES])
def test_a_recorded_session_replays_through_the_real_client_to_the_same_outcomes(path, _database_session, capsys):
    cassette = Cassette.load(path)
    meta = cassette.meta
    with replaying_server(cassette) as url:
        settings = Settings(model_provider=ModelProvider.OPENAI, model_name=meta["model"], openai_base_url=url,
                            **meta["settings"])
        report = run_suite(meta["suite"], RunOptions(ModelSpec(f"openai:{meta['model']}"), k=1),
                           settings=settings, server=_database_session)
    with capsys.disabled():
        print(f"\n\n{meta['model']} replayed ({meta['suite']}, recorded {meta['recorded_at']})\n"
              f"{format_table([report])}\n")
    assert cassette.misses == [], f"{len(cassette.misses)} request(s) not recorded; first: {cassette.misses[0]}"
    outcomes = {s["id"]: s["trials"][0]["passed"] for s in report["scenarios"]}
    assert outcomes == {sid: trials[0] for sid, trials in meta["expected"].items()}
    assert report["summary"]["per_turn"]["turns"] > 0
    assert report["summary"]["input_tokens"] > 0  # the server's own token counts came back through the client
