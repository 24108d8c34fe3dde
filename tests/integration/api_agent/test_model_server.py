"""The API with a real OpenAI-compatible model server (scripted, on loopback): a failing server is a JSON
error with its code, the thread takes the next run, and ``/api/v1/usage`` shows what the turns cost."""

from __future__ import annotations

import socket

from config import ModelProvider, Settings
from memory.users import Role
from tests.support.openai_server import scripted_openai_server, text

QUESTION = "tell me something cheerful"


def _use(app, url: str) -> None:
    app.state.settings = Settings(model_provider=ModelProvider.OPENAI, model_name="local-model", openai_base_url=url,
                                  model_max_retries=0)
    app.state.agent_runtime = None  # built again on the next turn, with this model


def _down_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def test_a_model_server_failure_is_a_json_error_and_the_thread_takes_the_next_run(app, client, headers):
    url = _down_url()
    _use(app, url)
    failed = client.post("/api/v1/threads/thr_api_down/runs", json={"message": QUESTION},
                         headers=headers[Role.TRADER])
    assert failed.status_code == 502
    assert failed.json() == {"error": {"code": "model_unreachable",
                                       "message": f"cannot reach the model server at {url}: is it running?",
                                       "details": {"server": url}}}
    with scripted_openai_server(text("Here is something cheerful.")) as server:
        _use(app, server.url)
        again = client.post("/api/v1/threads/thr_api_down/runs", json={"message": QUESTION},
                            headers=headers[Role.TRADER])
    assert again.status_code == 200, again.text
    assert again.json()["answer"] == "Here is something cheerful."


def test_usage_shows_a_traders_own_turns_and_an_admin_anyones(app, client, headers):
    with scripted_openai_server(text("fine", usage=(640, 12))) as server:
        _use(app, server.url)
        client.post("/api/v1/threads/thr_api_usage/runs", json={"message": QUESTION}, headers=headers[Role.TRADER])

    own = client.get("/api/v1/usage", params={"thread_id": "thr_api_usage"}, headers=headers[Role.TRADER])
    assert own.status_code == 200, own.text
    assert own.json()["filter"] == {"thread_id": "thr_api_usage", "user": "trader-user", "since": None}
    assert own.json()["total"]["input_tokens"] == 640 and own.json()["total"]["calls"] == 1
    other = client.get("/api/v1/usage", params={"user": "admin-user"}, headers=headers[Role.APPROVER])
    assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/usage", headers=headers[Role.ADMIN]).json()["filter"]["user"] is None
    admin = client.get("/api/v1/usage", params={"user": "trader-user", "since": "7d"}, headers=headers[Role.ADMIN])
    assert admin.json()["by_model"][0]["model"] == "local-model"
    assert admin.json()["total"]["output_tokens"] == 12
    bad = client.get("/api/v1/usage", params={"since": "whenever"}, headers=headers[Role.ADMIN])
    assert bad.status_code == 400 and "not a date" in bad.json()["error"]["message"]
