"""Secrets never survive redaction, whatever the nesting; harmless fields do."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from quant.monitoring.redaction import MASK, is_secret_key, mask_text, redact


def test_values_of_secret_named_keys_are_masked_at_any_depth():
    data = {"API_KEY": "PK123", "settings": {"slack_bot_token": "xoxb-1", "db": [{"Password": "hunter2"}]},
            "client_secret": {"nested": "whole subtree"}, "symbol": "AAPL", "openai_api_key": None}

    out = redact(data)

    assert out == {"API_KEY": MASK, "settings": {"slack_bot_token": MASK, "db": [{"Password": MASK}]},
                   "client_secret": MASK, "symbol": "AAPL", "openai_api_key": None}


def test_idempotency_key_is_not_a_secret():
    assert not is_secret_key("idempotency_key")
    assert is_secret_key("alpaca_secret_key")


def test_credential_shaped_strings_are_masked_inside_text():
    text = ("openai sk-proj-AbC123xyz789, slack xoxb-1234-5678-abcdef, header Bearer eyJhbGciOi.J9x, "
            "db postgresql://quant:s3cret@localhost:5432/q")
    masked = mask_text(text)

    for secret in ("AbC123xyz789", "1234-5678-abcdef", "eyJhbGciOi.J9x", "s3cret"):
        assert secret not in masked
    assert "sk-***" in masked and "xoxb-***" in masked and "Bearer ***" in masked
    assert "postgresql://quant:***@localhost:5432/q" in masked


def test_ordinary_text_is_unchanged():
    text = "Bought 10 AAPL at 101.25; risk-free rate 4.5%; task-list ok"
    assert mask_text(text) == text


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
    assert secret not in json.dumps(redact(data))


CREDENTIAL_SAMPLES = {
    "private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    "slack_webhook": "https://hooks.slack.com/services/T000/B000/XXXXXXXX",
    "stripe_style_key": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "aws_access_key": "AKIAIOSFODNN7EXAMPLE",
    "alpaca_key_id": "PKZ7Q2M4N8R1T5V9X3",
    "github_token": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}


def test_every_shared_credential_shape_is_masked_by_both_redactors():
    from guardrails.redaction import redact as redact_for_people
    from quant.monitoring.credential_patterns import CREDENTIAL_PATTERNS

    assert set(CREDENTIAL_SAMPLES) == {kind for kind, _ in CREDENTIAL_PATTERNS}
    for kind, secret in CREDENTIAL_SAMPLES.items():
        stored = json.dumps(redact({"note": f"order note: {secret} end"}))
        shown = redact_for_people(f"order note: {secret} end")
        assert secret not in stored, kind
        assert secret not in shown and "[REDACTED:" in shown, kind
