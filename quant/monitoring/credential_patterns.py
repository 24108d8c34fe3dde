"""The shapes of credentials, shared by every redactor (logs, audit, events, chat, tool output).

One list, so a key format masked in a chat message is also masked in the audit log. Each entry is
``(kind, pattern)``; the pattern matches the whole credential. Redactors choose the replacement
(``***`` in stored payloads, ``[REDACTED:<kind>]`` in text a person reads).
"""

from __future__ import annotations

import re

CREDENTIAL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(regex, flags))
    for kind, regex, flags in (
        ("private_key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL),
        ("slack_webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+", 0),
        ("stripe_style_key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{12,}", 0),
        ("aws_access_key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b", 0),
        ("alpaca_key_id", r"\b(?:AK|PK|CK)[A-Z0-9]{14,30}\b", 0),
        ("github_token", r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}", 0),
        ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", 0),
    )
)
