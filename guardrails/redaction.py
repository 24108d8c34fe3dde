"""Secret and PII redaction: the one set of rules every writer uses.

``redact(text)`` replaces API keys (quantpilot's own ``qp_…`` keys included), tokens, passwords,
emails and phone numbers with ``[REDACTED:<kind>]``. ``redact_value`` applies it to every string of a
nested structure (and masks whatever sits under a secret-named key, ``slack_bot_token``). The same rules
run on log lines (``redact_event`` for structlog, ``RedactingFilter`` and ``install_log_redaction`` for
stdlib logging), stored threads, checkpoints, alerts, events, audit payloads and error answers.
Rules err on the side of masking: a false positive hides a harmless string, a miss leaks a key.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

from pydantic import BaseModel

_SECRET_KEYS = (
    r"api[_-]?key|api[_-]?secret|secret[_-]?key|client[_-]?secret|secret|password|passwd|pwd|passphrase|"
    r"access[_-]?token|auth[_-]?token|refresh[_-]?token|token|private[_-]?key|signing[_-]?secret|"
    r"aws[_-]?secret[_-]?access[_-]?key|apca[_-]api[_-]secret[_-]key|apca[_-]api[_-]key[_-]id|authorization"
)


def _phone(match: re.Match[str]) -> str:
    """A phone number has 8 to 15 digits (E.164); shorter or longer runs are left alone."""
    digits = sum(ch.isdigit() for ch in match.group())
    return "[REDACTED:phone]" if 8 <= digits <= 15 else match.group()


# (kind, pattern, flags, replacement, hints), applied in this order: a private key block first (so "key = -----BEGIN"
# keeps the whole block masked), quantpilot's own keys next (so "Bearer qp_…" says which key it was), then
# structured forms (URLs, key=value) before the bare token shapes, so a key name is kept and only its value
# is masked; personal data last. ``hints`` (for ``may_hold_credential``): literals one of which every match holds,
# and where a match starts relative to it (None: within 64 characters before it); None for shapes without one.
Hints = tuple[tuple[str, ...], int | None]
_RULE_TABLE: tuple[tuple[str, str, int, Any, Hints | None], ...] = (
    ("private_key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL,
     "[REDACTED:private_key]", (("PRIVATE KEY-----",), None)),
    # memory.users: qp_<key id, 12 hex>_<secret, token_urlsafe>; no left boundary, "_" is a word character
    ("quantpilot_key", r"qp_[0-9A-Fa-f]{12}_[A-Za-z0-9_-]{8,}", 0, "[REDACTED:quantpilot_key]", (("qp_",), 0)),
    # scheme://user:password@host -> keep user and host
    ("url_password", r"(?<=://)([^/\s:@]+):([^/\s@]+)@", 0, r"\1:[REDACTED:password]@", (("://",), 3)),
    ("bearer", r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}", 0, r"\1 [REDACTED:bearer_token]",
     (("Bearer", "bearer", "BEARER"), 0)),
    ("key_value",
     rf"(?i)(?P<key>\b(?:{_SECRET_KEYS})\b[\"']?\s*(?:[:=]|\bis\b)\s*[\"']?)(?P<value>(?!\[REDACTED|bearer\b)"
     r"[^\s\"'&,;)}\]]{4,})", 0, r"\g<key>[REDACTED:secret]", None),
    ("slack_webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+", 0, "[REDACTED:slack_webhook]",
     (("hooks.slack.com",), -8)),
    ("slack_token", r"\bxox[abposre]-[A-Za-z0-9-]{8,}", 0, "[REDACTED:slack_token]", (("xox",), 0)),
    ("openai_key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}", 0, "[REDACTED:api_key]", (("sk-",), 0)),
    ("stripe_style_key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{12,}", 0, "[REDACTED:api_key]",
     (("_live_", "_test_"), -2)),
    ("aws_access_key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b", 0, "[REDACTED:aws_key]",
     (("AKIA", "ASIA"), 0)),  # access keys; the other prefixes name principals, not secrets
    ("alpaca_key_id", r"\b(?:AK|PK|CK)[A-Z0-9]{14,30}\b", 0, "[REDACTED:alpaca_key]", None),
    ("github_token", r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}", 0, "[REDACTED:github_token]",
     (("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), 0)),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", 0, "[REDACTED:jwt]", (("eyJ",), 0)),
    ("email", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b", 0, "[REDACTED:email]", None),
    # +44 20 7946 0958, +1-415-555-0100, +14155550100
    ("phone", r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?!\w|\.\d)", 0, _phone, None),
    # (415) 555-0100, 415-555-0100, 415.555.0100
    ("phone", r"(?<![\w.-])(?:\(\d{3}\)\s?|\d{3}[.-])\d{3}[.-]\d{4}(?![\w-]|\.\d)", 0, _phone, None),
)
_RULES: tuple[tuple[str, re.Pattern[str], Any], ...] = tuple(
    (kind, re.compile(regex, flags), replacement) for kind, regex, flags, replacement, _ in _RULE_TABLE)
_HINTED: tuple[tuple[tuple[str, ...], int | None, re.Pattern[str]], ...] = tuple(
    (hints[0], hints[1], re.compile(regex, flags)) for _, regex, flags, _, hints in _RULE_TABLE if hints)
_BEFORE_HINT = 64  # "-----BEGIN ENCRYPTED PRIVATE KEY-----": how far before its literal a private key starts

REDACTION_KINDS: tuple[str, ...] = tuple(dict.fromkeys(kind for kind, _, _ in _RULES))


def redact(text: str) -> str:
    """``text`` with secrets and personal data replaced by ``[REDACTED:<kind>]`` markers (idempotent)."""
    if not text:
        return text
    for _kind, pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def redact_url(url: str) -> str:
    """A connection URL with its password masked (``postgresql://u:[REDACTED:password]@h/db``), however many
    ``@`` or ``/`` the password holds; the rest of the URL as it is."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        user, password = creds.split(":", 1)
        creds = f"{user}:[REDACTED:password]" if password else f"{user}:"
    return f"{scheme}://{creds}@{host}"


def may_hold_credential(text: str) -> bool:
    """Whether ``text`` holds a credential of a distinctive shape (quantpilot, OpenAI, Slack, GitHub, AWS, Stripe
    keys, JWTs, bearer tokens, URL passwords, private keys) — a look cheap enough for every checkpoint write
    (literals first, a pattern only where its literal occurs). ``key=value`` secrets and personal data have no
    such literal: the writers' ``redact`` finds those."""
    if not text:
        return False
    for literals, offset, pattern in _HINTED:
        for literal in literals:
            at = text.find(literal)
            while at != -1:
                found = (pattern.search(text, max(0, at - _BEFORE_HINT)) if offset is None
                         else at + offset >= 0 and pattern.match(text, at + offset))
                if found:
                    return True
                at = text.find(literal, at + 1)
    return False


# The words that make a field name a secret's (``slack_bot_token``, ``accessToken``, ``x-api-key``,
# ``DB_PASSWORD``) — never a counter or an identifier (``token_count``, ``key_id``, ``idempotency_key``).
_SECRET_LAST_WORDS = frozenset({"secret", "password", "passwd", "pwd", "passphrase", "token", "authorization",
                                "credential", "credentials", "cookie"})
_SECRET_KEY_QUALIFIERS = frozenset({"api", "secret", "private", "access", "signing", "auth", "session", "client"})
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SECRET_KEY_NAME = re.compile(rf"^(?:{_SECRET_KEYS})$", re.IGNORECASE)
SECRET_MARKER = "[REDACTED:secret]"


def is_secret_key(name: object) -> bool:
    """True when a mapping key names a credential (``api_key``, ``accessToken``, ``DB_PASSWORD``…)."""
    if not isinstance(name, str) or not name:
        return False
    if _SECRET_KEY_NAME.match(name):
        return True
    words = [w.lower() for w in _WORDS.findall(name)]
    if not words:
        return False
    return words[-1] in _SECRET_LAST_WORDS or (
        words[-1] == "key" and len(words) > 1 and words[-2] in _SECRET_KEY_QUALIFIERS)


def redact_value(value: Any, *, key: str | None = None) -> Any:
    """A copy of ``value`` with every string redacted and whatever sits under a secret-named key masked whole
    (``None`` stays ``None``: "no key configured" is worth knowing). Pydantic models (chat messages) are
    copied with their fields redacted; other objects are returned as they are."""
    if key is not None and value is not None and is_secret_key(key):
        return SECRET_MARKER
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_value(v, key=str(k)) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(redact_value(v) for v in value)
    if isinstance(value, BaseModel):
        update = {name: redact_value(getattr(value, name), key=name) for name in type(value).model_fields}
        return value.model_copy(update=update)
    return value


def redact_event(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: redacts every value of the event dict (put it before the renderer)."""
    for key in list(event_dict):
        event_dict[key] = redact_value(event_dict[key], key=None if key == "event" else key)
    return event_dict


def _redacted_args(args: Any) -> Any:
    if isinstance(args, Mapping):
        return redact_value(args)
    if isinstance(args, tuple):
        return tuple(redact(a) if isinstance(a, str) else a for a in args)
    return args


def redact_record(record: logging.LogRecord, *, keep_args: bool) -> None:
    """Redact a stdlib log record in place: its message, arguments and formatted traceback.

    With ``keep_args`` each argument is redacted where it stands (formatters such as uvicorn's access log
    read ``record.args``), unless a secret only shows in the formatted line; otherwise the record carries
    the redacted line and no arguments. A structlog event (``record.msg`` is its dict) stays a dict.
    """
    if isinstance(record.msg, dict):
        record.msg = redact_value(record.msg)
    else:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        clean = redact(message)
        if keep_args and clean == message:
            pass
        elif keep_args and record.args:
            record.msg, record.args = redact(str(record.msg)), _redacted_args(record.args)
            try:
                if record.getMessage() != clean:
                    record.msg, record.args = clean, None
            except (TypeError, ValueError):
                record.msg, record.args = clean, None
        else:
            record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingFilter(logging.Filter):
    """logging filter: formats the record's message, redacts it, and drops the args it used."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record, keep_args=False)
        return True


_install_lock = threading.Lock()


def install_log_redaction() -> None:
    """Redact every stdlib log record this process makes from now on, whatever its logger or handler
    (uvicorn's, a library's, ours): the record factory redacts each record as it is made. Idempotent."""
    with _install_lock:
        current = logging.getLogRecordFactory()
        if getattr(current, "quantpilot_redacting", False):
            return

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = current(*args, **kwargs)
            redact_record(record, keep_args=True)
            return record

        redacting_factory.quantpilot_redacting = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(redacting_factory)
