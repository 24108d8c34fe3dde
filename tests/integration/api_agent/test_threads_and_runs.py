"""Threads and turns through the real app: the offline planner (the default model), the real database."""

from __future__ import annotations

from guardrails.policy import Role
from memory.runs import RunStore
from tests.integration.api_agent.conftest import parse_sse

BACKTEST = "backtest an SMA crossover on AAPL since 2024"


def test_a_turn_answers_with_the_tool_calls_the_planner_made_and_records_the_run(client, headers, loaded):
    thread = client.post("/api/v1/threads", json={"title": "research"}, headers=headers[Role.TRADER])
    assert thread.status_code == 201, thread.text
    thread_id = thread.json()["id"]

    response = client.post(f"/api/v1/threads/{thread_id}/runs", json={"message": BACKTEST},
                           headers=headers[Role.TRADER])

    assert response.status_code == 200, response.text
    turn = response.json()
    assert turn["thread_id"] == thread_id
    assert [c["name"] for c in turn["tool_calls"]] == ["backtest_strategy"]
    assert turn["tool_calls"][0]["args"]["strategy_config"]["symbols"] == ["AAPL"]
    assert turn["answer"] and turn["pending_approval"] is None
    (run,) = RunStore(loaded).list()
    assert (run.kind, run.status, run.strategy, run.created_by) == ("backtest", "done", "sma_crossover", "trader-user")


def test_the_thread_state_and_history_show_the_turn(client, headers, loaded):
    thread_id = client.post("/api/v1/threads", json={}, headers=headers[Role.TRADER]).json()["id"]
    client.post(f"/api/v1/threads/{thread_id}/runs", json={"message": BACKTEST}, headers=headers[Role.TRADER])

    state = client.get(f"/api/v1/threads/{thread_id}", headers=headers[Role.TRADER]).json()
    history = client.get(f"/api/v1/threads/{thread_id}/history", headers=headers[Role.TRADER]).json()
    listed = client.get("/api/v1/threads", headers=headers[Role.TRADER]).json()

    assert state["user_id"] == "trader-user" and state["pending_approval"] is None
    assert state["message_count"] == history["count"] == len(history["messages"]) >= 2
    assert history["messages"][0] == {"role": "human", "content": BACKTEST, "name": None, "tool_calls": None,
                                      "status": None}
    assert any(c["name"] == "backtest_strategy" for m in history["messages"] for c in (m["tool_calls"] or []))
    assert [t["id"] for t in listed["threads"]] == [thread_id]


def test_a_streamed_turn_sends_steps_tool_calls_and_a_final_event_last(client, headers, loaded):
    with client.stream("POST", "/api/v1/threads/thr_stream_1/runs/stream", json={"message": BACKTEST},
                       headers=headers[Role.TRADER]) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.read().decode())

    names = [name for name, _ in events]
    assert "step" in names and names[-1] == "final"
    calls = [data for name, data in events if name == "tool_call"]
    assert [c["name"] for c in calls] == ["backtest_strategy"]
    results = [data for name, data in events if name == "tool_result"]
    assert results and results[0]["ok"] is True
    final = events[-1][1]
    assert final["thread_id"] == "thr_stream_1" and final["tool_calls"][0]["name"] == "backtest_strategy"
    assert names.index("tool_call") < names.index("tool_result") < names.index("final")


def test_another_users_thread_is_not_found_on_every_route_whatever_the_role(client, headers, loaded):
    thread_id = client.post("/api/v1/threads", json={"title": "mine"}, headers=headers[Role.TRADER]).json()["id"]
    client.post(f"/api/v1/threads/{thread_id}/runs", json={"message": BACKTEST}, headers=headers[Role.TRADER])

    for role in (Role.VIEWER, Role.APPROVER, Role.ADMIN):
        for answer in (client.get(f"/api/v1/threads/{thread_id}", headers=headers[role]),
                       client.get(f"/api/v1/threads/{thread_id}/history", headers=headers[role]),
                       client.post(f"/api/v1/threads/{thread_id}/interrupt", json={"verdict": "approve"},
                                   headers=headers[role])):
            assert answer.status_code in (403, 404), (role, answer.request.url)  # 403: the route needs approver
            if answer.status_code == 404:
                assert answer.json()["error"]["code"] == "thread_not_found"
                assert answer.json()["error"]["message"] == f"thread {thread_id} does not exist"
        listed = client.get("/api/v1/threads", headers=headers[role]).json()
        assert thread_id not in [t["id"] for t in listed["threads"]]
    assert client.get(f"/api/v1/threads/{thread_id}/history", headers=headers[Role.TRADER]).json()["count"] >= 2


def test_the_same_thread_id_chosen_by_two_users_names_two_threads(client, headers, keys, loaded):
    from memory.users import UserStore

    mallory = {"Authorization": f"Bearer {UserStore(loaded).add('mallory', Role.TRADER).api_key}"}
    squatted = client.post("/api/v1/threads", json={"thread_id": "thr_shared_name", "title": "squat"},
                           headers=mallory)

    created = client.post("/api/v1/threads", json={"thread_id": "thr_shared_name", "title": "research"},
                          headers=headers[Role.TRADER])
    ran = client.post("/api/v1/threads/thr_shared_name/runs", json={"message": BACKTEST},
                      headers=headers[Role.TRADER])
    streamed = client.post("/api/v1/threads/thr_shared_name/runs/stream", json={"message": "risk report"},
                           headers=mallory)

    assert squatted.status_code == created.status_code == 201
    assert ran.status_code == 200 and ran.json()["thread_id"] == "thr_shared_name"
    assert streamed.status_code == 200 and parse_sse(streamed.text)[-1][0] == "final"
    mine = client.get("/api/v1/threads/thr_shared_name/history", headers=headers[Role.TRADER]).json()
    theirs = client.get("/api/v1/threads/thr_shared_name/history", headers=mallory).json()
    assert [m["content"] for m in mine["messages"] if m["role"] == "human"] == [BACKTEST]
    assert [m["content"] for m in theirs["messages"] if m["role"] == "human"] == ["risk report"]
    assert client.get("/api/v1/threads/thr_shared_name", headers=headers[Role.TRADER]).json()["title"] == "research"


def test_a_thread_id_holding_a_credential_is_refused_and_stores_nothing(client, headers, loaded):
    key = "qp_0123456789ab_" + "K" * 30

    created = client.post("/api/v1/threads", json={"thread_id": key}, headers=headers[Role.TRADER])
    ran = client.post(f"/api/v1/threads/{key}/runs", json={"message": "hello"}, headers=headers[Role.TRADER])

    assert created.status_code == ran.status_code == 400
    assert created.json()["error"]["code"] == "invalid_thread_id" and key not in created.text + ran.text
    assert client.get("/api/v1/threads", headers=headers[Role.TRADER]).json()["count"] == 0


def test_bad_input_is_a_4xx_envelope_never_a_500(client, headers):
    trader = headers[Role.TRADER]
    cases = [
        client.post("/api/v1/threads/thr_x/runs", json={"message": ""}, headers=trader),
        client.post("/api/v1/threads/thr_x/runs", json={"text": "hi"}, headers=trader),
        client.post("/api/v1/threads/bad%20id!/runs", json={"message": "hi"}, headers=trader),
        client.get("/api/v1/threads/thr_unknown", headers=trader),
        client.post("/api/v1/threads/thr_unknown/interrupt", json={"verdict": "maybe"}, headers=headers[Role.ADMIN]),
        client.post("/api/v1/threads", json={"title": "x" * 500}, headers=trader),
        client.post("/api/v1/threads/thr_x/runs", json={"message": "  \n "}, headers=trader),
    ]
    assert [c.status_code for c in cases] == [422, 422, 422, 404, 422, 422, 422]
    assert all(set(c.json()["error"]) >= {"code", "message"} for c in cases)
