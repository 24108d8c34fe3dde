"""The chat stream: Server-Sent Events in order, from the real graph with the offline planner."""

from __future__ import annotations

import json

import pytest

from memory.bars import BarStore
from tests.integration.web.conftest import log_in
from tests.integration.web.wiring import offline_web_chat


def frames(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((lines["event"], json.loads(lines["data"])))
    return out


@pytest.mark.slow
def test_a_turn_streams_thread_steps_tool_calls_and_the_final_answer(client, keys, database, app):
    app.state.web_chat = offline_web_chat(database)
    csrf = log_in(client, keys["trader"])

    answer = client.post("/web/chat/stream", data={"csrf_token": csrf, "message": "load data for AAPL"})

    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    events = frames(answer.text)
    kinds = [k for k, _ in events]
    assert kinds[0] == "thread" and kinds[-2:] == ["final", "done"]
    assert kinds.index("tool_call") < kinds.index("tool_result") < kinds.index("final")
    call = next(d for k, d in events if k == "tool_call")
    assert "fetch_historical_data" in call["html"]
    assert "AAPL" in BarStore(database).known_symbols()  # the tool really ran
    final = dict(events)["final"]
    assert "fetch_historical_data" in final["answer"] and final["pending_approval"] is None
    thread_id = dict(events)["thread"]["thread_id"]
    assert app.state.web_chat.threads.get(thread_id).user_id == "trader"


def test_a_viewer_may_not_start_a_turn(client, keys):
    csrf = log_in(client, keys["viewer"])

    answer = client.post("/web/chat/stream", data={"csrf_token": csrf, "message": "load data for AAPL"})

    assert answer.status_code == 403 and "needs trader" in answer.text


def test_a_turn_without_the_csrf_token_is_refused(client, keys):
    log_in(client, keys["trader"])

    answer = client.post("/web/chat/stream", data={"message": "load data for AAPL"})

    assert answer.status_code == 403


def test_another_users_thread_cannot_be_continued(client, keys, database):
    from memory.ladder import ThreadStore

    ThreadStore(database).touch("thr_web_someoneelse01", "approver", "hello")
    csrf = log_in(client, keys["trader"])

    answer = client.post("/web/chat/stream", data={"csrf_token": csrf, "message": "hi",
                                                   "thread_id": "thr_web_someoneelse01"})

    assert answer.status_code == 403 and "another user" in answer.text
