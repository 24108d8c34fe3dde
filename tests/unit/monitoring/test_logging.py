"""JSON log lines carry a correlation id and never a secret."""

from __future__ import annotations

import io
import json
import logging
import threading

import pytest

from guardrails.redaction import redact_event
from quant.monitoring.logging import configure_logging, correlation_scope, get_logger, reset_logging


@pytest.fixture()
def captured():
    stream = io.StringIO()
    configure_logging("INFO", redact=redact_event, stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    reset_logging()


def test_secret_keyword_values_are_masked_in_the_json_output(captured):
    get_logger("quantpilot.test").info("broker connected", api_key="PKLIVE123456", password="hunter2",
                                       config={"slack_bot_token": "xoxb-9999-abcdefgh"}, symbol="AAPL")
    [line] = captured()

    assert line["api_key"] == "[REDACTED:secret]" and line["password"] == "[REDACTED:secret]"
    assert line["config"] == {"slack_bot_token": "[REDACTED:secret]"}
    assert line["symbol"] == "AAPL" and line["event"] == "broker connected" and line["level"] == "info"


def test_credential_shaped_strings_are_masked_in_messages_and_stdlib_logs(captured):
    get_logger("a").warning("calling with Authorization: Bearer abcdef123456")
    logging.getLogger("some.library").error("request failed for key sk-abcdefghijklmnop")
    lines = captured()

    raw = json.dumps(lines)
    assert "abcdef123456" not in raw and "abcdefghijklmnop" not in raw
    assert lines[0]["event"] == "calling with Authorization: Bearer [REDACTED:bearer_token]"
    assert lines[1]["logger"] == "some.library" and lines[1]["event"] == "request failed for key [REDACTED:api_key]"


def test_lines_inside_a_scope_carry_its_correlation_id(captured):
    with correlation_scope("req-42") as cid:
        get_logger().info("inside")
    get_logger().info("outside")
    inside, outside = captured()

    assert cid == "req-42" and inside["correlation_id"] == "req-42"
    assert outside["correlation_id"] == "thread-MainThread"


def test_each_thread_keeps_its_own_correlation_id(captured):
    def work(n: int) -> None:
        with correlation_scope(f"job-{n}"):
            get_logger().info("working", n=n)

    threads = [threading.Thread(target=work, args=(n,), name=f"worker-{n}") for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    lines = captured()
    assert sorted((ln["n"], ln["correlation_id"], ln["thread"]) for ln in lines) == [
        (n, f"job-{n}", f"worker-{n}") for n in range(4)]


def test_levels_below_the_configured_one_are_dropped(captured):
    get_logger().debug("noise")
    get_logger().info("signal")
    assert [ln["event"] for ln in captured()] == ["signal"]


def test_exceptions_are_rendered_and_masked(captured):
    try:
        raise ValueError("bad token xoxb-1111-2222-3333")
    except ValueError:
        get_logger().exception("failed")
    [line] = captured()
    assert "ValueError" in line["exception"] and "1111-2222-3333" not in line["exception"]
