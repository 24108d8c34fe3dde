"""Which characters no text quantpilot accepts may hold: control characters (NUL included; tab, line feed
and carriage return are text), bidirectional overrides, embeddings, isolates and marks (they make a name
display as something else: "AAPL" that reads "LPAA"), and lone surrogates (no database can store them).

``unsafe_character(text)`` finds the first; interfaces refuse the whole request naming the field
(``api.input_hygiene``), so nothing with such a character is stored, shown or logged.
"""

from __future__ import annotations

import re

_ALLOWED_CONTROLS = "\t\n\r"
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(
    "[" + "".join(f"\\x{c:02x}" for c in range(0x20) if chr(c) not in _ALLOWED_CONTROLS)
    + "\\x7f-\\x9f" + _BIDI + "\\ud800-\\udfff]")


def unsafe_character(text: str) -> str | None:
    """The first character of ``text`` no input may hold, as ``U+XXXX`` (None when there is none)."""
    found = _UNSAFE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def describe(codepoint: str) -> str:
    """What kind of character ``U+XXXX`` is, in words."""
    value = int(codepoint[2:], 16)
    if chr(value) in _BIDI:
        return "a bidirectional text control"
    if 0xD800 <= value <= 0xDFFF:
        return "a lone surrogate"
    return "a control character"
