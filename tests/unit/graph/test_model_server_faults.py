"""The agent graph in front of a real OpenAI-compatible client and a scripted server that sends each kind of
nonsense, streamed and not: nothing malformed runs, the model is told, the user is told, server failures
are one line and leave the thread usable, and every call is on the usage ledger."""

from __future__ import annotations

import json
import uuid

import pytest
from langchain_core.messages import ToolMessage

from agents.providers import make_chat_model
from config import ModelProvider, Settings
from errors import ModelServerError, ModelTimeoutError
from graph.context import GraphContext, TurnLimits
from graph.model_call import EMPTY_REPLY
from graph.runner import FinalEvent, run_turn, stream_turn
from memory.checkpoint import in_memory_checkpointer
from tests.support.openai_server import Reply, http_error, scripted_openai_server, text, tool
from tests.unit.graph.scripted import agents_with, scripted_graph

USER = {"id": "alice", "role": "trader"}
ASK = "load daily bars and prices for AAPL"  # routed to the data agent, whose tool is data_lookup(text)
CUT = '{"text": "AAPL", "qty": 10'


def _graph(url: str, **settings):
    model = make_chat_model(Settings(model_provider=ModelProvider.OPENAI, model_name="local", openai_base_url=url,
                                     model_max_retries=0, **settings))
    return scripted_graph(agents_with({"data": model}), checkpointer=in_memory_checkpointer())


def _turn(graph, thread: str, streamed: bool, context: GraphContext | None = None, text_: str = ASK):
    if not streamed:
        return run_turn(graph, thread, USER, text_, context=context)
    events = list(stream_turn(graph, thread, USER, text_, context=context))
    return next(e.result for e in events if isinstance(e, FinalEvent))


def _ran(graph, thread: str) -> list[dict]:
    messages = graph.get_state({"configurable": {"thread_id": thread}}).values["messages"]
    return [json.loads(m.content) for m in messages if isinstance(m, ToolMessage) and m.name == "data_lookup"]


STREAMED = pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])


@STREAMED
def test_a_cut_off_tool_call_is_not_run_the_model_is_told_and_its_corrected_call_runs(streamed):
    with scripted_openai_server(tool("data_lookup", CUT), tool("data_lookup", '{"text": "AAPL"}'),
                                text("Loaded AAPL.")) as server:
        graph, thread = _graph(server.url), f"t-{uuid.uuid4().hex[:8]}"
        turn = _turn(graph, thread, streamed)
    ran = _ran(graph, thread)
    assert ran[0]["status"] == "not_run" and ran[0]["code"] == "malformed_tool_call"
    assert "not complete JSON" in ran[0]["message"]
    assert ran[1] == {"status": "ok", "tool": "data_lookup", "echo": "AAPL"}  # the corrected call, once
    told = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
    assert "malformed_tool_call" in told[0]["content"]
    assert turn.answer == "Loaded AAPL." and turn.usage["model_calls"] == 3


@STREAMED
def test_a_model_that_keeps_sending_malformed_calls_is_stopped_and_nothing_runs(streamed):
    with scripted_openai_server(*[tool("data_lookup", CUT)] * 3) as server:
        graph, thread = _graph(server.url), f"t-{uuid.uuid4().hex[:8]}"
        turn = _turn(graph, thread, streamed, GraphContext(limits=TurnLimits(corrections=2)))
    assert turn.stop_reason == "malformed_tool_calls"
    assert "kept sending malformed tool calls" in turn.answer and "nothing it asked for was run" in turn.answer
    assert all(r["status"] == "not_run" for r in _ran(graph, thread))
    assert len(server.requests) == 3


@STREAMED
def test_arguments_that_fail_the_schema_are_refused_and_the_turn_stops_after_the_corrections(streamed):
    bad = tool("data_lookup", '{"text": {"nested": true}}')
    with scripted_openai_server(bad, bad) as server:
        graph, thread = _graph(server.url), f"t-{uuid.uuid4().hex[:8]}"
        turn = _turn(graph, thread, streamed, GraphContext(limits=TurnLimits(corrections=1)))
    assert turn.stop_reason == "invalid_tool_arguments"
    assert [r["status"] for r in _ran(graph, thread)] == ["error", "error"]
    assert "text" in _ran(graph, thread)[0]["message"]  # the model was told which field


@STREAMED
def test_an_empty_reply_becomes_an_answer_saying_the_model_gave_none(streamed):
    with scripted_openai_server(Reply(content="")) as server:
        turn = _turn(_graph(server.url), f"t-{uuid.uuid4().hex[:8]}", streamed)
    assert turn.answer == EMPTY_REPLY and turn.stop_reason == "empty_reply"


@STREAMED
def test_a_server_error_is_one_line_and_the_thread_takes_the_next_message(streamed):
    with scripted_openai_server(http_error(500, "CUDA out of memory\nstack..."), text("Here you go.")) as server:
        graph, thread = _graph(server.url), f"t-{uuid.uuid4().hex[:8]}"
        context = GraphContext()
        with pytest.raises(ModelServerError) as raised:
            _turn(graph, thread, streamed, context)
        assert str(raised.value) == f"the model server at {server.url} answered HTTP 500: CUDA out of memory"
        retry = _turn(graph, thread, streamed, context)
    assert retry.answer == "Here you go." and retry.stop_reason is None
    failed = [r for r in context.usage.store.rows if r.outcome != "ok"]
    assert [r.outcome for r in failed] == ["model_http_error"]


def test_a_server_that_does_not_answer_in_time_ends_the_turn_with_a_timeout():
    with scripted_openai_server(Reply(content="late", delay_s=1.0)) as server:
        graph = _graph(server.url, model_timeout_s=0.2)
        with pytest.raises(ModelTimeoutError):
            run_turn(graph, f"t-{uuid.uuid4().hex[:8]}", USER, ASK)


def test_a_streamed_turn_reports_the_tokens_the_server_counted():
    with scripted_openai_server(tool("data_lookup", '{"text": "AAPL"}', usage=(700, 30)),
                                text("done", usage=(900, 10))) as server:
        turn = _turn(_graph(server.url), f"t-{uuid.uuid4().hex[:8]}", True)
    assert all(r["stream_options"] == {"include_usage": True} for r in server.requests if r.get("stream"))
    assert (turn.usage["model_calls"], turn.usage["input_tokens"], turn.usage["output_tokens"]) == (2, 1600, 40)
