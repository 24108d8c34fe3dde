"""Redaction of secrets and personal data in messages, structlog events and stdlib log records."""

from __future__ import annotations

import io
import logging

import pytest
import structlog

from guardrails.redaction import RedactingFilter, redact, redact_event, redact_value

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
