"""The chat stream: Server-Sent Events in order, from the real graph with the offline planner."""

from __future__ import annotations

import json

import pytest

from memory.bars import BarStore
from memory.users import UserStore
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
    assert "fetch historical data: symbol AAPL" in call["html"]
    assert "AAPL" in BarStore(database).known_symbols()  # the tool really ran
    final = dict(events)["final"]
    assert final["answer"].startswith("AAPL: ") and "daily bars from" in final["answer"]
    assert final["pending_approval"] is None
    thread_id = dict(events)["thread"]["thread_id"]
    trader = UserStore(database).get("trader")
    assert app.state.web_chat.threads.find(trader.id, thread_id).user_id == "trader"


@pytest.mark.slow
def test_a_viewer_may_chat_but_a_tool_that_needs_a_trader_is_refused_inside_the_turn(client, keys, database, app):
    app.state.web_chat = offline_web_chat(database)
    csrf = log_in(client, keys["viewer"])

    answer = client.post("/web/chat/stream", data={"csrf_token": csrf, "message": "load data for AAPL"})

    assert answer.status_code == 200
    assert "needs the trader role" in answer.text
    assert "AAPL" not in BarStore(database).known_symbols()  # loading data is a trader's, here as everywhere


def test_a_turn_without_the_csrf_token_is_refused(client, keys):
    log_in(client, keys["trader"])

    answer = client.post("/web/chat/stream", data={"message": "load data for AAPL"})

    assert answer.status_code == 403


@pytest.mark.slow
def test_another_users_thread_id_starts_a_thread_of_ones_own_and_leaves_theirs_unseen(client, keys, database, app):
    app.state.web_chat = offline_web_chat(database)
    csrf = log_in(client, keys["approver"])
    theirs = dict(frames(client.post("/web/chat/stream", data={"csrf_token": csrf, "message": "my private plan"}
                                     ).text))["thread"]["thread_id"]
    client.cookies.clear()
    csrf = log_in(client, keys["trader"])

    peek = client.get(f"/web/chat?thread={theirs}")
    answer = client.post("/web/chat/stream", data={"csrf_token": csrf, "message": "what can you do?",
                                                   "thread_id": theirs})

    assert peek.status_code == 200 and "my private plan" not in peek.text
    assert answer.status_code == 200 and dict(frames(answer.text))["thread"]["thread_id"] == theirs
    store, users = app.state.web_chat.threads, UserStore(database)
    mine, other = store.find(users.get("trader").id, theirs), store.find(users.get("approver").id, theirs)
    assert mine.key != other.key and (mine.title, other.title) == ("what can you do?", "my private plan")
    graph = app.state.web_chat.graph
    their_messages = [m.content for m in graph.get_state({"configurable": {"thread_id": other.key}}).values["messages"]]
    assert "what can you do?" not in their_messages and "my private plan" in their_messages


@pytest.mark.slow
def test_a_long_threads_page_still_shows_its_first_question_after_old_turns_are_archived(client, keys, database,
                                                                                          app):
    from graph.transcript import thread_messages

    app.state.web_chat = offline_web_chat(database)
    csrf = log_in(client, keys["trader"])
    first = client.post("/web/chat/stream", data={"csrf_token": csrf, "message": "what can you do?"})
    thread_id = dict(frames(first.text))["thread"]["thread_id"]
    for n in range(8):  # more turns than the state window keeps
        client.post("/web/chat/stream", data={"csrf_token": csrf, "message": f"risk report please {n}",
                                              "thread_id": thread_id})

    graph = app.state.web_chat.graph
    key = app.state.web_chat.threads.find(UserStore(database).get("trader").id, thread_id).key
    in_state = graph.get_state({"configurable": {"thread_id": key}}).values["messages"]
    assert not any(m.content == "what can you do?" for m in in_state)  # archived out of the state...
    assert any(m.content == "what can you do?" for m in thread_messages(graph.checkpointer, key))

    page = client.get(f"/web/chat?thread={thread_id}")

    assert page.status_code == 200
    assert "what can you do?" in page.text and "risk report please 7" in page.text  # ...but still on the page
