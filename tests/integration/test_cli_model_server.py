"""The CLI with a real OpenAI-compatible model server (scripted, on loopback): one line and exit 2 when the
server fails, the same thread usable afterwards, the turn's figures in ``chat --json`` and ``usage --json``,
and a turn that stops at its dollar budget once a price is configured."""

from __future__ import annotations

import json
import socket

import pytest

from config import get_settings
from tests.integration.cli_runner import run_cli
from tests.support.openai_server import scripted_openai_server, text, tool

QUESTION = "tell me something cheerful"  # no tool the pre-router knows: the model decides


@pytest.fixture()
def model_env(monkeypatch, database):
    def use(url: str, **extra: str) -> None:
        monkeypatch.setenv("QUANTPILOT_MODEL_PROVIDER", "openai")
        monkeypatch.setenv("QUANTPILOT_MODEL_NAME", "local-model")
        monkeypatch.setenv("QUANTPILOT_OPENAI_BASE_URL", url)
        monkeypatch.setenv("QUANTPILOT_MODEL_MAX_RETRIES", "0")
        for key, value in extra.items():
            monkeypatch.setenv(f"QUANTPILOT_{key.upper()}", value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def _down_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def test_a_model_server_that_is_down_is_one_line_exit_2_and_the_thread_goes_on(model_env, act_as):
    act_as("trader", "dana")
    url = _down_url()
    model_env(url)
    failed = run_cli("chat", "--once", QUESTION, "--thread", "thr_cli_down")
    assert failed.exit_code == 2
    assert failed.stderr.strip().splitlines() == [f"error: cannot reach the model server at {url}: is it running?"]
    assert "Traceback" not in failed.stderr + failed.stdout

    with scripted_openai_server(text("Markets rest on weekends.")) as server:
        model_env(server.url)
        again = run_cli("chat", "--once", QUESTION, "--thread", "thr_cli_down", "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["answer"] == "Markets rest on weekends."


def test_chat_json_and_usage_json_show_the_turns_model_tokens(model_env, act_as):
    act_as("trader", "dana")
    with scripted_openai_server(text("All good.", usage=(812, 9))) as server:
        model_env(server.url)
        chat = run_cli("chat", "--once", QUESTION, "--thread", "thr_cli_usage", "--json")
    turn = json.loads(chat.stdout)
    assert chat.exit_code == 0, chat.stderr
    assert {k: turn["usage"][k] for k in ("model_calls", "input_tokens", "output_tokens", "usd")} == {
        "model_calls": 1, "input_tokens": 812, "output_tokens": 9, "usd": 0.0}  # a local server costs $0
    assert turn["usage"]["priced"] is True

    usage = run_cli("usage", "--thread", "thr_cli_usage", "--json")
    shown = json.loads(usage.stdout)
    assert usage.exit_code == 0, usage.stderr
    assert shown["total"]["calls"] == 1 and shown["total"]["input_tokens"] == 812
    assert shown["by_model"][0]["model"] == "local-model"
    assert shown["filter"] == {"thread_id": "thr_cli_usage", "user": "dana", "since": None}
    table = run_cli("usage", "--user", "dana")
    assert "local-model" in table.stdout and "812" in table.stdout


def test_usage_of_someone_else_is_for_admins_and_a_keyless_reader_sees_only_its_own(model_env, act_as):
    with scripted_openai_server(text("Fine.", usage=(300, 4))) as server:
        model_env(server.url)
        act_as("trader", "dana")
        assert run_cli("chat", "--once", QUESTION, "--json").exit_code == 0

    act_as("viewer", "eve")
    refused = run_cli("usage", "--user", "dana", "--json")
    assert refused.exit_code == 2 and "read all usage needs the admin role" in refused.stderr
    assert json.loads(run_cli("usage", "--json").stdout)["total"]["calls"] == 0  # eve made no calls
    act_as("admin", "ada")
    assert json.loads(run_cli("usage", "--user", "dana", "--json").stdout)["total"]["input_tokens"] == 300


def test_a_turn_stops_cleanly_at_its_dollar_budget_with_a_price_configured(model_env, act_as):
    act_as("trader", "dana")
    prices = json.dumps({"local-model": {"input_usd_per_1m": 1000, "output_usd_per_1m": 1000}})
    # each call: 100 + 20 tokens at $1,000 per 1M = $0.12; the cap of $0.20 is crossed by the second call
    replies = [tool("check_service_health", "{}"), tool("check_service_health", "{}"), text("never sent")]
    with scripted_openai_server(*replies) as server:
        model_env(server.url, model_prices=prices, turn_max_usd="0.20")
        chat = run_cli("chat", "--once", "how healthy are the services?", "--json")
    turn = json.loads(chat.stdout)
    assert chat.exit_code == 0, chat.stderr
    assert turn["stop_reason"] == "budget_usd"
    assert "model budget of $0.20 per turn is spent" in turn["answer"]
    assert turn["usage"]["usd"] == pytest.approx(0.24) and turn["usage"]["model_calls"] == 2
    assert len(server.requests) == 2  # the third call was never made


def test_usage_since_that_is_not_a_date_is_one_line_and_exit_2(database):
    result = run_cli("usage", "--since", "last tuesday")
    assert result.exit_code == 2
    assert "is not a date" in result.stderr and len(result.stderr.strip().splitlines()) == 1
