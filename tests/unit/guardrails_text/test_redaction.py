"""The one redaction module: secrets and personal data in messages, nested payloads, structlog events and
stdlib log records (quantpilot's own API keys included)."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.messages import AIMessage

from guardrails.redaction import (
    SECRET_MARKER,
    RedactingFilter,
    install_log_redaction,
    is_secret_key,
    may_hold_credential,
    redact,
    redact_event,
    redact_url,
    redact_value,
)

QP_KEY = "qp_0a1b2c3d4e5f_" + "x7Yz-_Q9" * 5 + "abc"  # the shape memory.users issues: qp_<12 hex>_<43 chars>

# (kind, secret, text template with {} where the secret goes, marker expected in its place)
SECRETS = [
    ("openai", "sk-proj-Abc123def456GHI789jkl012", "using key {} now", "api_key"),
    ("openai_legacy", "sk-1234567890abcdefABCDEF12", "OPENAI_API_KEY {}", "api_key"),
    ("alpaca_paper_id", "PKA1B2C3D4E5F6G7H8I9", "alpaca key id {} loaded", "alpaca_key"),
    ("alpaca_live_id", "AKZ9Y8X7W6V5U4T3S2R1", "live id {}", "alpaca_key"),
    ("alpaca_secret_header", "q8Zr4Tn2Lk9Wm3Vb7Xc1Yd5Fg6Hj0Pa2Sd4Qw8Ee", "APCA-API-SECRET-KEY: {}", "secret"),
    ("slack_bot", "xoxb-2048-1024-AbCdEfGhIjKl", "slack token {}", "slack_token"),
    ("slack_user", "xoxp-99887766-abcdefabcdef", "user token={}", "secret"),
    ("slack_webhook", "T000/B000/XXXXXXXXXXXX", "post to https://hooks.slack.com/services/{}", "slack_webhook"),
    ("bearer", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2ln", "Authorization: Bearer {}", "bearer_token"),
    ("url_password", "hunter2", "connect postgresql://quant:{}@db.internal:5432/qp", "password"),
    ("query_password", "s3cr3tpass", "GET https://x.example/login?user=bob&password={}&next=/", "secret"),
    ("aws_access_key", "AKIAIOSFODNN7EXAMPLE", "aws key {} in env", "aws_key"),
    ("aws_secret", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = {}", "secret"),
    ("github", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "pushed with {}", "github_token"),
    ("private_key", "MIIEowIBAAKCAQEA7", "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
     "private_key"),
    ("email", "jane.doe+alerts@example.co.uk", "send it to {} please", "email"),
    ("phone_intl", "+44 20 7946 0958", "call me on {} tomorrow", "phone"),
    ("phone_us", "(415) 555-0100", "desk: {}", "phone"),
    ("phone_dashes", "415-555-0100", "cell {}.", "phone"),
    ("quantpilot_key", QP_KEY, "my key is {} ok", "quantpilot_key"),
    ("quantpilot_key_bearer", QP_KEY, "curl -H 'Authorization: Bearer {}'", "quantpilot_key"),
    ("quantpilot_key_glued", QP_KEY, "thr_{}", "quantpilot_key"),
    ("stripe_style_key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "charge with {}", "api_key"),
    ("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "session {}", "jwt"),
]


@pytest.mark.parametrize(("kind", "secret", "template", "marker"), SECRETS, ids=[s[0] for s in SECRETS])
def test_each_secret_kind_is_replaced_by_its_marker(kind, secret, template, marker):
    out = redact(template.format(secret))
    assert secret not in out
    assert f"[REDACTED:{marker}]" in out


@pytest.mark.parametrize(
    "text",
    [
        "Sharpe 1.23, max drawdown -12.5%, CAGR +8.4% from 2019-01-02 to 2024-06-28.",
        "Bought 1,250 shares of AAPL at $189.42; commission 0.35 USD; order id 7f3a9c.",
        "The token validation step passed and the password policy is documented.",
        "SPY QQQ IWM TLT GLD closed mixed; volume 82,345,100.",
        "Run 42 used slippage_bps=5 and 252 trading days.",
    ],
)
def test_ordinary_finance_text_is_left_unchanged(text):
    assert redact(text) == text


def test_key_names_are_kept_so_the_reader_knows_what_was_masked():
    assert redact("api_key=abcd1234efgh") == "api_key=[REDACTED:secret]"
    assert redact("postgresql://quant:pw123@h/db") == "postgresql://quant:[REDACTED:password]@h/db"


def test_nested_values_and_secret_named_fields_are_redacted():
    event = {"user": "bob@example.com", "slack_bot_token": "anything-at-all", "token_count": 412,
             "items": ["sk-abcdefghijklmnop1234", {"password": "x1y2z3"}]}
    out = redact_value(event)
    assert out == {"user": "[REDACTED:email]", "slack_bot_token": "[REDACTED:secret]", "token_count": 412,
                   "items": ["[REDACTED:api_key]", {"password": "[REDACTED:secret]"}]}


def test_structlog_processor_redacts_the_rendered_log_line():
    stream = io.StringIO()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(stream),
        processors=[redact_event, structlog.processors.JSONRenderer()],
    )
    logger.info("order placed with key sk-abcdefghijklmnop1234", alpaca_key_id="PKA1B2C3D4E5F6G7H8I9", qty=10)
    line = stream.getvalue()
    assert "sk-abcdefghijklmnop1234" not in line and "PKA1B2C3D4E5F6G7H8I9" not in line
    assert "[REDACTED:api_key]" in line and '"qty": 10' in line


def test_logging_filter_redacts_message_and_arguments():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("quantpilot.test.redaction")
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO)
    try:
        log.info("user %s connected with %s", "ann@example.com", "Bearer abcdefgh12345678")
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert "ann@example.com" not in out and "abcdefgh12345678" not in out
    assert out.strip() == "user [REDACTED:email] connected with Bearer [REDACTED:bearer_token]"


def test_redaction_is_idempotent():
    text = " ".join(template.format(secret) for _, secret, template, _ in SECRETS)
    once = redact(text)
    assert redact(once) == once


def test_values_of_secret_named_keys_are_masked_whole_at_any_depth():
    data = {"API_KEY": "PK123", "settings": {"slack_bot_token": "xoxb-1", "db": [{"Password": "hunter2"}]},
            "client_secret": {"nested": "whole subtree"}, "symbol": "AAPL", "openai_api_key": None,
            "x-api-key": 12345, "accessToken": "abc"}

    out = redact_value(data)

    assert out == {"API_KEY": SECRET_MARKER, "settings": {"slack_bot_token": SECRET_MARKER,
                                                          "db": [{"Password": SECRET_MARKER}]},
                   "client_secret": SECRET_MARKER, "symbol": "AAPL", "openai_api_key": None,
                   "x-api-key": SECRET_MARKER, "accessToken": SECRET_MARKER}


@pytest.mark.parametrize("name", ["idempotency_key", "decision_key", "key_id", "token_count", "input_tokens",
                                  "key", "monkey", "params_hash"])
def test_identifiers_and_counters_are_not_secret_names(name):
    assert not is_secret_key(name)


_names = st.sampled_from(["api_key", "token", "Secret", "db_password", "x-api-key", "accessToken"])
_plain = st.sampled_from(["symbol", "qty", "note", "side"])
_secret_values = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=12, max_size=20).map(lambda s: "Z" + s)


@given(st.recursive(
    st.dictionaries(_plain, st.integers(), max_size=2),
    lambda children: st.dictionaries(_plain, children, max_size=3) | st.lists(children, max_size=3),
    max_leaves=10,
), _names, _secret_values)
def test_no_secret_value_survives_anywhere_in_a_nested_structure(tree, name, secret):
    data = {"outer": [tree, {name: secret}], name: {"inner": secret}}
    assert secret not in json.dumps(redact_value(data))


def test_a_chat_message_is_copied_with_its_text_and_tool_arguments_redacted():
    message = AIMessage(content=f"use {QP_KEY}", tool_calls=[{"name": "send_alert", "id": "c1",
                                                              "args": {"message": f"key {QP_KEY}"}}])

    out = redact_value({"messages": [message]})["messages"][0]

    assert isinstance(out, AIMessage) and QP_KEY not in repr(out)
    assert out.content == "use [REDACTED:quantpilot_key]"
    assert out.tool_calls[0]["args"] == {"message": "key [REDACTED:quantpilot_key]"}
    assert QP_KEY in message.content  # the original is left as it was


_DISTINCTIVE = {"openai", "openai_legacy", "slack_bot", "slack_user", "slack_webhook", "bearer", "url_password",
                "aws_access_key", "github", "private_key", "quantpilot_key", "quantpilot_key_bearer",
                "quantpilot_key_glued", "stripe_style_key", "jwt"}


@pytest.mark.parametrize(("kind", "secret", "template", "marker"), SECRETS, ids=[s[0] for s in SECRETS])
def test_the_cheap_look_finds_every_credential_of_a_distinctive_shape(kind, secret, template, marker):
    assert may_hold_credential(template.format(secret)) is (kind in _DISTINCTIVE)


@pytest.mark.parametrize("text", ["Sharpe 1.2 on AAPL, risk-free 4.5%", "a [REDACTED:quantpilot_key] here",
                                  "https://example.com/docs and Bearer"])
def test_the_cheap_look_passes_ordinary_and_already_masked_text(text):
    assert not may_hold_credential(text)


@pytest.fixture()
def factory_installed():
    before = logging.getLogRecordFactory()
    install_log_redaction()
    install_log_redaction()  # idempotent: one wrapper
    yield
    logging.setLogRecordFactory(before)


def _captured(logger_name: str, formatter: logging.Formatter | None = None):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    if formatter is not None:
        handler.setFormatter(formatter)
    log = logging.getLogger(logger_name)
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO)
    return log, handler, stream


def test_the_installed_record_factory_redacts_any_logger_message_arguments_and_traceback(factory_installed):
    log, handler, stream = _captured("some.library.without.filters")
    try:
        log.info("password=%s key %s", "hunter2hunter2", QP_KEY)
        try:
            raise ValueError(f"bad key {QP_KEY}")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert "hunter2hunter2" not in out and QP_KEY not in out
    assert "password=[REDACTED:secret] key [REDACTED:quantpilot_key]" in out
    assert "ValueError: bad key [REDACTED:quantpilot_key]" in out


def test_the_record_factory_keeps_arguments_a_formatter_reads_itself(factory_installed):
    class ArgsFormatter(logging.Formatter):  # like uvicorn's access log, which unpacks record.args
        def formatMessage(self, record):  # noqa: N802 - the logging API's name
            address, path, status = record.args
            return f"{address} {path} {status}"

    log, handler, stream = _captured("uvicorn.access.like", ArgsFormatter())
    try:
        log.info("%s %s %d", "127.0.0.1", f"/web/login?k={QP_KEY}", 200)
        log.info("%s %s %d", "127.0.0.1", "/api/v1/health", 200)
    finally:
        log.removeHandler(handler)
    assert stream.getvalue().splitlines() == ["127.0.0.1 /web/login?k=[REDACTED:quantpilot_key] 200",
                                              "127.0.0.1 /api/v1/health 200"]


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://quant:p@ss/w0rd@db.internal:5432/qp", "postgresql://quant:[REDACTED:password]@db.internal:5432/qp"),
    ("postgresql+psycopg://quant@localhost/qp", "postgresql+psycopg://quant@localhost/qp"),
    ("postgresql://localhost/qp", "postgresql://localhost/qp"),
])
def test_a_connection_url_keeps_everything_but_its_password(url, shown):
    assert redact_url(url) == shown
