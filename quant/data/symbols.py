"""The one ticker symbol: 1 to 16 of ``A-Z a-z 0-9 . - ^ =`` (``AAPL``, ``BRK-B``, ``^GSPC``, ``EURUSD=X``),
stored and compared upper-case. Every loader, API schema and tool uses it, so nothing else — HTML, SQL,
instructions, control or bidirectional characters, a 33-character string — can become a symbol."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema

from errors import DataError

SYMBOL_PATTERN = r"^[A-Za-z0-9.\-^=]{1,16}$"
SYMBOL_MAX_LENGTH = 16
_SYMBOL = re.compile(SYMBOL_PATTERN)
RULE = "1 to 16 letters, digits or . - ^ ="


def is_symbol(value: object) -> bool:
    return isinstance(value, str) and _SYMBOL.fullmatch(value) is not None


def check_symbol(value: object, *, where: str = "symbol") -> str:
    """``value`` upper-cased when it is a symbol (surrounding spaces ignored); ``DataError`` naming ``where``
    and the value (escaped, so a control character shows as ``\\x00``) otherwise."""
    text = value.strip() if isinstance(value, str) else value
    if not is_symbol(text):
        shown = repr(value)[:40] if isinstance(value, str) else type(value).__name__
        raise DataError(f"{where}: {shown} is not a ticker symbol ({RULE})", code="bad_symbol",
                        details={"field": where, "value": shown})
    return text.upper()


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


# For pydantic models (API bodies, tool arguments): surrounding spaces dropped, the pattern, upper-cased.
Symbol = Annotated[str, BeforeValidator(_strip), StringConstraints(pattern=SYMBOL_PATTERN, min_length=1,
                                                                   max_length=SYMBOL_MAX_LENGTH),
                   AfterValidator(str.upper),
                   WithJsonSchema({"type": "string", "pattern": SYMBOL_PATTERN, "minLength": 1,
                                   "maxLength": SYMBOL_MAX_LENGTH, "examples": ["AAPL"]})]
