"""Secret and PII redaction for chat messages, tool output and logs.

``redact(text)`` replaces API keys, tokens, passwords, emails and phone numbers with
``[REDACTED:<kind>]``. The same rules run as a structlog processor (``redact_event``) and as a
``logging.Filter`` (``RedactingFilter``), so a secret that reaches a log line is masked there too.
Rules err on the side of masking: a false positive hides a harmless string, a miss leaks a key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

from quant.monitoring.credential_patterns import CREDENTIAL_PATTERNS

_SECRET_KEYS = (
    r"api[_-]?key|api[_-]?secret|secret[_-]?key|client[_-]?secret|secret|password|passwd|pwd|passphrase|"
    r"access[_-]?token|auth[_-]?token|refresh[_-]?token|token|private[_-]?key|signing[_-]?secret|"
    r"aws[_-]?secret[_-]?access[_-]?key|apca[_-]api[_-]secret[_-]key|apca[_-]api[_-]key[_-]id|authorization"
)

def _phone(match: re.Match[str]) -> str:
    """A phone number has 8 to 15 digits (E.164); shorter or longer runs are left alone."""
    digits = sum(ch.isdigit() for ch in match.group())
    return "[REDACTED:phone]" if 8 <= digits <= 15 else match.group()


# (kind, pattern, replacement). Order matters: structured forms (URLs, key=value) run before the
# bare token shapes so that the key name is kept and only the value is masked.
_RULES: tuple[tuple[str, re.Pattern[str], Any], ...] = tuple(
    (kind, re.compile(regex, flags), replacement)
    for kind, regex, flags, replacement in (
        # scheme://user:password@host -> keep user and host
        ("url_password", r"(?<=://)([^/\s:@]+):([^/\s@]+)@", 0, r"\1:[REDACTED:password]@"),
        ("bearer", r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}", 0, r"\1 [REDACTED:bearer_token]"),
        (
            "key_value",
            rf"(?i)(?P<key>\b(?:{_SECRET_KEYS})\b[\"']?\s*(?:[:=]|\bis\b)\s*[\"']?)(?P<value>(?!\[REDACTED|bearer\b)[^\s\"'&,;)}}\]]{{4,}})",
            0,
            r"\g<key>[REDACTED:secret]",
        ),
        (
            "email",
            r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
            0,
            "[REDACTED:email]",
        ),
        # +44 20 7946 0958, +1-415-555-0100, +14155550100
        ("phone", r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?!\w|\.\d)", 0, _phone),
        # (415) 555-0100, 415-555-0100, 415.555.0100
        ("phone", r"(?<![\w.-])(?:\(\d{3}\)\s?|\d{3}[.-])\d{3}[.-]\d{4}(?![\w-]|\.\d)", 0, _phone),
    )
)

_TOKEN_RULES = (
    ("slack_token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{8,}"), "[REDACTED:slack_token]"),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}"), "[REDACTED:api_key]"),
)
# the marker a person reads for each shared credential shape
_MARKERS = {"stripe_style_key": "api_key", "aws_access_key": "aws_key", "alpaca_key_id": "alpaca_key"}
_SHARED = {kind: (kind, pattern, f"[REDACTED:{_MARKERS.get(kind, kind)}]") for kind, pattern in CREDENTIAL_PATTERNS}
_RULES = (
    _SHARED["private_key"],  # before key=value, so "key = -----BEGIN" keeps the whole block masked
    *_RULES[:3],  # url password, bearer, key=value
    _SHARED["slack_webhook"],
    *_TOKEN_RULES,
    *(rule for kind, rule in _SHARED.items() if kind not in {"private_key", "slack_webhook"}),
    *_RULES[3:],  # email, phone numbers
)

REDACTION_KINDS: tuple[str, ...] = tuple(dict.fromkeys(kind for kind, _, _ in _RULES))


def redact(text: str) -> str:
    """``text`` with secrets and personal data replaced by ``[REDACTED:<kind>]`` markers."""
    if not text:
        return text
    for _kind, pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


# Field names whose string values are secrets whatever they look like (``slack_bot_token``).
_SECRET_KEY_NAME = re.compile(
    rf"^(?:{_SECRET_KEYS})$|(?:^|[_-])(?:secret|password|passwd|token|api_?key|secret_?key|private_?key)$",
    re.IGNORECASE,
)


def redact_value(value: Any, *, key: str | None = None) -> Any:
    """A structure with every string redacted; values under secret-looking keys masked whole."""
    if key is not None and isinstance(value, str | bytes) and value and _SECRET_KEY_NAME.search(key):
        return "[REDACTED:secret]"
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_value(v, key=str(k)) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(redact_value(v) for v in value)
    return value


def redact_event(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: redacts every value of the event dict (put it before the renderer)."""
    for key in list(event_dict):
        event_dict[key] = redact_value(event_dict[key], key=None if key == "event" else key)
    return event_dict


class RedactingFilter(logging.Filter):
    """logging filter: formats the record's message, redacts it, and drops the args it used."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
