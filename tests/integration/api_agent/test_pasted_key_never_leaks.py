"""A quantpilot API key pasted into chat (API, streaming, OpenAI-compatible, web), a thread title and an approval
comment never reaches the database (any table: checkpoints, their writes, transcripts, titles, audit, events),
a log record, or an answer (thread title, history, alert arguments, errors)."""

from __future__ import annotations

import logging

import pytest
from langchain_core.messages import HumanMessage

from memory.users import Role, UserStore
from services.research.service import ResearchService
from tests.integration.web.conftest import log_in
from tests.reliability.table_digest import rows_containing
from tests.support.people import SYSTEM

ARCHIVING_TURNS = 8  # more than graph.history's state window keeps: older turns move to the transcript table


def _needles(key: str) -> list[str]:
    """The key, its secret part alone, and both as the hex a bytea column (checkpoint blobs) renders."""
    secret = key.split("_", 2)[2]
    return [key, secret, key.encode().hex(), secret.encode().hex()]


@pytest.fixture()
def pasted(keys):
    """The trader's own, real API key: the thing they paste."""
    return keys[Role.TRADER]


@pytest.mark.slow
def test_a_pasted_key_is_stored_shown_and_logged_only_masked(client, headers, loaded, pasted, caplog):
    caplog.set_level(logging.DEBUG)
    trader, approver = headers[Role.TRADER], headers[Role.APPROVER]
    answers = []

    created = client.post("/api/v1/threads", json={"thread_id": "thr_paste", "title": f"keys {pasted}"},
                          headers=trader)
    answers.append(created)
    for n in range(ARCHIVING_TURNS):
        answers.append(client.post("/api/v1/threads/thr_paste/runs",
                                   json={"message": f"alert: my key is {pasted} ({n})"}, headers=trader))
    answers.append(client.post("/api/v1/threads/thr_paste/runs/stream", json={"message": f"risk report {pasted}"},
                               headers=trader))
    answers.append(client.post("/v1/chat/completions", headers=trader, json={
        "model": "quantpilot", "user": "desk", "messages": [{"role": "user", "content": f"hello {pasted}"}]}))
    answers.append(client.post("/v1/chat/completions", headers=trader, json={
        "model": pasted, "messages": [{"role": "user", "content": "hi"}]}))  # an error that echoes the model
    history = client.get("/api/v1/threads/thr_paste/history", headers=trader)
    state = client.get("/api/v1/threads/thr_paste", headers=trader)
    answers += [history, state, client.get("/api/v1/threads", headers=trader)]

    run_id = ResearchService(loaded, actor=SYSTEM).backtest("sma_crossover", ["AAPL"],
                                                            created_by="approver-user")["run_id"]
    review = client.post("/api/v1/threads/thr_review/runs", json={"message": f"promote run {run_id} to backtested"},
                         headers=trader).json()
    answers.append(client.post(f"/api/v1/approvals/{review['pending_approval']['id']}/reject", headers=approver,
                               json={"comment": f"never paste {pasted}"}))
    csrf = log_in(client, pasted)
    answers.append(client.post("/web/chat/stream", data={"csrf_token": csrf, "message": f"alert: web {pasted}"}))
    answers.append(client.get("/web/chat"))

    assert all(a.status_code < 500 for a in answers)
    assert created.json()["title"] == "keys [REDACTED:quantpilot_key]"
    humans = [m["content"] for m in history.json()["messages"] if m["role"] == "human"]
    assert len(humans) == ARCHIVING_TURNS + 1 and humans[0] == "alert: my key is [REDACTED:quantpilot_key] (0)"
    alert_args = [c["args"] for m in history.json()["messages"] for c in (m["tool_calls"] or [])
                  if c["name"] == "send_alert"]
    assert len(alert_args) == ARCHIVING_TURNS and "[REDACTED:quantpilot_key]" in alert_args[0]["message"]
    for needle in _needles(pasted):
        assert not [a.request.url for a in answers if needle in a.text], "an answer shows the key"
        assert rows_containing(loaded, needle) == {}, "the database holds the key"
        assert not [r.name for r in caplog.records if needle in r.getMessage() + (r.exc_text or "")], "logged"
    marker = "[REDACTED:quantpilot_key]"
    masked = {**rows_containing(loaded, marker), **rows_containing(loaded, marker.encode().hex())}
    assert masked.keys() >= {"public.chat_threads", "public.checkpoint_blobs", "public.checkpoint_writes",
                             "public.thread_transcript_messages", "public.approval_decisions"}, \
        "the scan looked where the key went"


def test_state_written_past_the_runner_is_still_saved_masked(app, client, headers, loaded, pasted):
    """The checkpointer's serializer masks what no node redacted: a state update, an inline string channel."""
    client.post("/api/v1/threads", json={"thread_id": "thr_direct"}, headers=headers[Role.TRADER])
    runtime = app.state.agent_runtime  # built by the first agent route
    key = runtime.threads.find(UserStore(loaded).get("trader-user").id, "thr_direct").key
    config = {"configurable": {"thread_id": key}}

    runtime.graph.update_state(config, {"messages": [HumanMessage(content=f"raw {pasted}")],
                                        "stop_reason": f"stopped by {pasted}"})

    saved = runtime.graph.get_state(config).values
    assert saved["messages"][-1].content == "raw [REDACTED:quantpilot_key]"
    assert saved["stop_reason"] == "stopped by [REDACTED:quantpilot_key]"
    for needle in _needles(pasted):
        assert rows_containing(loaded, needle) == {}
