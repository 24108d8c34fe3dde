"""Secret redaction for anything we write down: logs, audit payloads, event payloads, alerts.

Two rules, applied recursively to mappings and sequences:
- the value of any key whose name contains ``key``, ``token``, ``secret`` or ``password``
  (case-insensitive) is replaced by ``MASK`` — whatever its type, a nested mapping included;
- strings that look like credentials (``sk-…`` API keys, Slack ``xox?-…`` tokens,
  ``Bearer …`` headers, passwords in ``scheme://user:password@host`` URLs, and every shape in
  ``credential_patterns``: AWS, Alpaca, GitHub, JWT, private keys…) are masked in place.

Masking too much is the safe failure; the few key names that match by accident but carry no
secret (``idempotency_key``) are listed in ``NOT_SECRET_KEYS``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from quant.monitoring.credential_patterns import CREDENTIAL_PATTERNS

MASK = "***"
SECRET_KEY_PARTS = ("key", "token", "secret", "password")
NOT_SECRET_KEYS = frozenset({"idempotency_key"})

_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"), "sk-" + MASK),
    (re.compile(r"\b(xox[abposr])-[A-Za-z0-9\-]{6,}"), r"\1-" + MASK),
    (re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/=\-]{6,}", re.IGNORECASE), r"\1 " + MASK),
    (re.compile(r"(://[^/\s:@]+):[^/\s@]+@"), r"\1:" + MASK + "@"),
    *((pattern, MASK) for _kind, pattern in CREDENTIAL_PATTERNS),
)


def is_secret_key(name: object) -> bool:
    """True when a mapping key names a credential (``api_key``, ``access_token``, ``DB_PASSWORD``…)."""
    if not isinstance(name, str):
        return False
    lowered = name.lower()
    if lowered in NOT_SECRET_KEYS:
        return False
    return any(part in lowered for part in SECRET_KEY_PARTS)


def mask_text(text: str) -> str:
    """``text`` with every credential-looking substring masked."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any) -> Any:
    """A copy of ``value`` with secrets masked (mappings become dicts, tuples/lists become lists).

    ``None`` under a secret key stays ``None`` (nothing to hide, and "no key configured" is useful).
    """
    if isinstance(value, Mapping):
        return {
            k: (MASK if v is not None else None) if is_secret_key(k) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value
