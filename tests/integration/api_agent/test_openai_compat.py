"""``POST /v1/chat/completions`` in front of the agent graph: OpenAI's shapes, threads, approvals."""

from __future__ import annotations

import json

from guardrails.policy import Role
from services.research.service import ResearchService
from tests.support.people import SYSTEM

BACKTEST = "backtest an SMA crossover on AAPL since 2024"


def chat(text: str, **extra) -> dict:
    return {"model": "quantpilot", "messages": [{"role": "system", "content": "be brief"},
                                                {"role": "user", "content": text}], **extra}


def test_a_completion_runs_one_turn_and_answers_in_openais_shape(client, headers, loaded):
    response = client.post("/v1/chat/completions", json=chat(BACKTEST), headers=headers[Role.TRADER])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "quantpilot"
    (choice,) = body["choices"]
    assert choice["message"]["role"] == "assistant" and choice["finish_reason"] == "stop"
    thread_id = response.headers["x-quantpilot-thread"]
    assert body["thread_id"] == thread_id
    history = client.get(f"/api/v1/threads/{thread_id}/history", headers=headers[Role.TRADER]).json()
    assert [m["content"] for m in history["messages"] if m["role"] == "human"] == [BACKTEST]  # system not replayed
    assert any(c["name"] == "backtest_strategy" for m in history["messages"] for c in (m["tool_calls"] or []))
    assert choice["message"]["content"] == history["messages"][-1]["content"]


def test_the_same_user_field_continues_the_same_thread_and_another_starts_a_new_one(client, headers, loaded):
    trader = headers[Role.TRADER]
    first = client.post("/v1/chat/completions", json=chat(BACKTEST, user="desk-1"), headers=trader)
    second = client.post("/v1/chat/completions", json=chat("risk report", user="desk-1"), headers=trader)
    other = client.post("/v1/chat/completions", json=chat("risk report", user="desk-2"), headers=trader)

    thread = first.headers["x-quantpilot-thread"]
    assert second.headers["x-quantpilot-thread"] == thread != other.headers["x-quantpilot-thread"]
    history = client.get(f"/api/v1/threads/{thread}/history", headers=trader).json()
    assert [m["content"] for m in history["messages"] if m["role"] == "human"] == [BACKTEST, "risk report"]


def test_a_streamed_completion_sends_chunks_and_ends_with_done(client, headers, loaded):
    with client.stream("POST", "/v1/chat/completions", json=chat(BACKTEST, stream=True),
                       headers=headers[Role.TRADER]) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.read().decode().split("\n\n") if line]

    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[len("data: "):]) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "quantpilot" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    thread = response.headers["x-quantpilot-thread"]
    history = client.get(f"/api/v1/threads/{thread}/history", headers=headers[Role.TRADER]).json()
    assert content and content == history["messages"][-1]["content"]


def test_a_pending_approval_comes_back_as_a_message_saying_what_and_where_to_answer(client, headers, loaded):
    run_id = ResearchService(loaded, actor=SYSTEM).backtest("sma_crossover", ["AAPL"],
                                                            created_by="trader-user")["run_id"]
    trader = headers[Role.TRADER]

    asked = client.post("/v1/chat/completions", json=chat(f"promote run {run_id} to backtested", user="desk-9"),
                        headers=trader).json()
    (pending,) = client.get("/api/v1/approvals", params={"status": "pending"}, headers=trader).json()["approvals"]
    again = client.post("/v1/chat/completions", json=chat("and now?", user="desk-9"), headers=trader).json()

    text = asked["choices"][0]["message"]["content"]
    assert pending["id"] in text and "strategy" in text
    assert f"POST /api/v1/approvals/{pending['id']}/approve" in text
    assert f"quantpilot approvals approve {pending['id']}" in text
    assert pending["id"] in again["choices"][0]["message"]["content"]  # the thread still waits; nothing ran
    assert "--as" not in text
    history = client.get(f"/api/v1/threads/{asked['thread_id']}/history", headers=trader).json()
    assert "and now?" not in [m["content"] for m in history["messages"]]


def test_while_an_approval_waits_a_question_is_answered_and_a_change_is_refused_in_words(client, headers, loaded):
    run_id = ResearchService(loaded, actor=SYSTEM).backtest("sma_crossover", ["AAPL"],
                                                            created_by="trader-user")["run_id"]
    trader = headers[Role.TRADER]
    client.post("/v1/chat/completions", json=chat(f"promote run {run_id} to backtested", user="desk-8"),
                headers=trader)
    (pending,) = client.get("/api/v1/approvals", params={"status": "pending"}, headers=trader).json()["approvals"]

    question = client.post("/v1/chat/completions", json=chat("what's my exposure?", user="desk-8"), headers=trader)
    with client.stream("POST", "/v1/chat/completions", json=chat("buy 5 shares of AAPL", user="desk-8", stream=True),
                       headers=trader) as streamed:
        lines = [line for line in streamed.read().decode().split("\n\n") if line.startswith("data: {")]

    answer = question.json()["choices"][0]["message"]["content"]
    assert question.status_code == 200 and "exposure" in answer.lower()
    assert pending["id"] in answer  # and it still says what the thread waits for
    refusal = "".join(json.loads(line[len("data: "):])["choices"][0]["delta"].get("content", "") for line in lines)
    assert "would change something" in refusal and f"quantpilot approvals approve {pending['id']}" in refusal
    assert not refusal.startswith("error")
    assert client.get("/api/v1/orders", headers=trader).json()["orders"] == []


def test_bad_completion_requests_are_4xx_envelopes(client, headers):
    trader = headers[Role.TRADER]
    wrong_model = client.post("/v1/chat/completions", json={**chat("hi"), "model": "gpt-4o"}, headers=trader)
    no_user = client.post("/v1/chat/completions", json={"model": "quantpilot",
                                                         "messages": [{"role": "system", "content": "x"}]},
                          headers=trader)
    empty = client.post("/v1/chat/completions", json={"model": "quantpilot", "messages": []}, headers=trader)
    viewer = client.post("/v1/chat/completions", json=chat("hi"), headers=headers[Role.VIEWER])
    anonymous = client.post("/v1/chat/completions", json=chat("hi"))

    assert (wrong_model.status_code, wrong_model.json()["error"]["code"]) == (404, "model_not_found")
    assert no_user.status_code == 400 and empty.status_code == 422
    assert viewer.status_code == 200 and anonymous.status_code == 401  # chatting is a viewer's; tools check their own
    assert client.get("/v1/models", headers=headers[Role.VIEWER]).json()["data"][0]["id"] == "quantpilot"


def test_another_user_cannot_squat_or_read_the_thread_derived_for_a_caller(client, headers, loaded):
    from memory.users import UserStore

    trader = headers[Role.TRADER]
    mallory = {"Authorization": f"Bearer {UserStore(loaded).add('mallory', Role.TRADER).api_key}"}
    derived = client.post("/v1/chat/completions", json=chat("risk report", user="desk-1"),
                          headers=trader).headers["x-quantpilot-thread"]
    client.post("/api/v1/threads", json={"thread_id": derived, "title": "squat"}, headers=mallory)  # her own
    squat = client.post("/v1/chat/completions", json=chat("what can you do?"),
                        headers={**mallory, "X-Quantpilot-Thread": derived})

    again = client.post("/v1/chat/completions", json=chat(BACKTEST, user="desk-1"), headers=trader)
    peek = client.get(f"/api/v1/threads/{derived}/history", headers=headers[Role.APPROVER])

    assert squat.status_code == 200 and squat.headers["x-quantpilot-thread"] == derived
    assert again.status_code == 200 and again.headers["x-quantpilot-thread"] == derived
    mine = client.get(f"/api/v1/threads/{derived}/history", headers=trader).json()
    theirs = client.get(f"/api/v1/threads/{derived}/history", headers=mallory).json()
    assert [m["content"] for m in mine["messages"] if m["role"] == "human"] == ["risk report", BACKTEST]
    assert [m["content"] for m in theirs["messages"] if m["role"] == "human"] == ["what can you do?"]
    assert peek.status_code == 404


def test_the_user_field_derives_a_different_thread_for_each_api_user(client, headers, loaded):
    one = client.post("/v1/chat/completions", json=chat("risk report", user="desk-1"), headers=headers[Role.TRADER])
    two = client.post("/v1/chat/completions", json=chat("risk report", user="desk-1"), headers=headers[Role.ADMIN])

    assert one.headers["x-quantpilot-thread"] != two.headers["x-quantpilot-thread"]
