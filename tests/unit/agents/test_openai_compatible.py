"""The OpenAI-compatible client against a scripted loopback server: what it sends, how it streams and falls
back, what it refuses to repair, and how every server failure becomes one line."""

from __future__ import annotations

import json
import socket

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool

from agents.openai_compatible import MALFORMED_KEY, OpenAICompatibleChat
from agents.providers import make_chat_model
from agents.specs import USAGE_MISSING_KEY
from config import ModelProvider, Settings
from errors import ModelServerError, ModelTimeoutError
from tests.support.openai_server import Reply, http_error, scripted_openai_server, text, tool


def _positions(symbol: str = "") -> str:
    return symbol


POSITIONS = StructuredTool.from_function(_positions, name="get_positions", description="positions")


def _model(url: str, **overrides) -> OpenAICompatibleChat:
    settings = Settings(model_provider=ModelProvider.OPENAI, model_name="local-model", openai_base_url=url,
                        **overrides)
    model = make_chat_model(settings)
    assert isinstance(model, OpenAICompatibleChat)
    return model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_requests_with_tools_carry_tool_choice_auto_and_the_output_token_cap():
    with scripted_openai_server(tool("get_positions", "{}")) as server:
        reply = _model(server.url).bind_tools([POSITIONS]).invoke([HumanMessage("what do I hold?")])
    sent = server.requests[0]
    assert sent["tool_choice"] == "auto"
    assert sent["max_tokens"] == 512
    assert [t["function"]["name"] for t in sent["tools"]] == ["get_positions"]
    assert reply.tool_calls[0]["name"] == "get_positions"


def test_streamed_requests_ask_for_usage_and_the_reply_carries_it():
    with scripted_openai_server(text("You hold nothing.", usage=(321, 7))) as server:
        chunks = list(_model(server.url).stream([HumanMessage("hi")]))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert server.requests[0]["stream_options"] == {"include_usage": True}
    assert merged.content == "You hold nothing."
    assert merged.usage_metadata["input_tokens"] == 321 and merged.usage_metadata["output_tokens"] == 7


def test_an_assistant_tool_call_message_is_sent_with_empty_content_never_null():
    history = [HumanMessage("hold?"), AIMessage("", tool_calls=[{"name": "get_positions", "args": {}, "id": "c1"}]),
               ToolMessage("{}", tool_call_id="c1", name="get_positions")]
    with scripted_openai_server(text("nothing")) as server:
        _model(server.url).bind_tools([POSITIONS]).invoke(history)
    assistant = server.requests[0]["messages"][1]
    assert assistant["role"] == "assistant" and assistant["content"] == ""
    assert assistant["tool_calls"][0]["function"]["name"] == "get_positions"


def test_a_server_that_cannot_stream_tool_calls_is_asked_again_without_streaming_and_not_streamed_again():
    refusal = http_error(500, "Automatic streaming tool choice is not supported")  # llama-cpp-python's words
    with scripted_openai_server(refusal, tool("get_positions", '{"symbol": "AAPL"}'),
                                tool("get_positions", "{}")) as server:
        model = _model(server.url, model_max_retries=0).bind_tools([POSITIONS])
        first = list(model.stream([HumanMessage("hold?")]))
        second = model.invoke([HumanMessage("hold?")], stream=True)
    assert [bool(r.get("stream")) for r in server.requests] == [True, False, False]
    merged = first[0]
    for chunk in first[1:]:
        merged += chunk
    assert merged.tool_calls[0]["args"] == {"symbol": "AAPL"}
    assert second.tool_calls[0]["name"] == "get_positions"


def test_a_stream_without_usage_is_flagged_and_later_requests_are_not_streamed():
    with scripted_openai_server(text("a", stream_usage=False), text("b")) as server:
        model = _model(server.url)
        first = list(model.stream([HumanMessage("x")]))
        list(model.stream([HumanMessage("y")]))
    assert any(c.response_metadata.get(USAGE_MISSING_KEY) for c in first)  # AIMessageChunks
    assert [bool(r.get("stream")) for r in server.requests] == [True, False]


def test_a_streamed_tool_call_cut_off_mid_argument_is_reported_malformed_not_completed():
    cut = '{"order":{"symbol":"AAPL","side":"buy","qty": 100'
    with scripted_openai_server(tool("place_order", cut, finish_reason="length")) as server:
        chunks = list(_model(server.url).bind_tools([POSITIONS]).stream([HumanMessage("buy")]))
    flagged = [m for c in chunks for m in c.response_metadata.get(MALFORMED_KEY, [])]
    assert flagged == [{"id": "call_0", "name": "place_order", "args": cut,
                        "error": flagged[0]["error"]}]
    assert "not complete JSON" in flagged[0]["error"]


def test_a_cut_off_tool_call_without_streaming_is_listed_invalid_not_dropped_silently():
    cut = '{"order":{"symbol":"AAPL","qty": 10'
    with scripted_openai_server(tool("place_order", cut)) as server:
        reply = _model(server.url).bind_tools([POSITIONS]).invoke([HumanMessage("buy")])
    assert reply.tool_calls == []
    assert reply.invalid_tool_calls[0]["name"] == "place_order"
    assert reply.invalid_tool_calls[0]["args"] == cut


@pytest.mark.parametrize("streamed", [False, True])
def test_an_http_error_becomes_one_line_naming_the_server_and_status(streamed):
    with scripted_openai_server(http_error(503, "model is loading\nplease wait"), http_error(503, "still")) as server:
        model = _model(server.url, model_max_retries=0)
        with pytest.raises(ModelServerError) as raised:
            list(model.stream([HumanMessage("x")])) if streamed else model.invoke([HumanMessage("x")])
    assert raised.value.code == "model_http_error"
    assert str(raised.value) == f"the model server at {server.url} answered HTTP 503: model is loading"
    assert raised.value.details["status"] == 503


def test_a_context_overflow_says_so_and_how_to_go_on():
    llama = http_error(400, "the request exceeds the available context size, try increasing it")
    with scripted_openai_server(llama) as server, pytest.raises(ModelServerError) as raised:
        _model(server.url, model_max_retries=0).invoke([HumanMessage("x" * 50)])
    assert raised.value.code == "model_context_overflow"
    assert "start a new thread" in str(raised.value) and "\n" not in str(raised.value)


def test_a_server_that_is_down_is_one_line_and_retried_only_as_configured():
    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(ModelServerError) as raised:
        _model(url, model_max_retries=0).invoke([HumanMessage("x")])
    assert raised.value.code == "model_unreachable"
    assert str(raised.value) == f"cannot reach the model server at {url}: is it running?"


def test_a_server_that_does_not_answer_in_time_times_out_after_the_configured_retries():
    slow = Reply(content="late", delay_s=1.5)
    with scripted_openai_server(slow, slow, slow) as server, pytest.raises(ModelTimeoutError) as raised:
        _model(server.url, model_timeout_s=0.3, model_max_retries=1).invoke([HumanMessage("x")])
    assert str(raised.value) == f"the model server at {server.url} did not answer within 0.3 s"
    assert len(server.requests) == 2  # one try and one retry, not the client's default of three


def test_tool_schemas_round_trip_as_json_the_server_can_read():
    with scripted_openai_server(text("ok")) as server:
        _model(server.url).bind_tools([POSITIONS]).invoke([HumanMessage("x")])
    schema = server.requests[0]["tools"][0]["function"]["parameters"]
    assert json.loads(json.dumps(schema))["properties"]["symbol"]["type"] == "string"
