"""Values whose meaning the caller does not say (a table cell, a parameter, a stored field) as people read them:
never a Python repr (``{'fast': 10}``, ``None``, ``1479321.0``, ``0.19869514649999842``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from quant.display import numbers


def plain(value: Any) -> str:
    """``None``/NaN as an em dash, booleans as yes/no, integers as they are (an integer may be an id: a count
    says so with ``numbers.count``), other numbers with at most four decimals, no trailing zeros and thousands
    separated (``147.6997``, ``1,479,321``), dates without a midnight time, mappings as ``k=v`` pairs, sequences
    comma-separated; text that is a decimal number with more than four decimals (``"2.0000000000"``) is
    shortened the same way."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return numbers.DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return numbers.quantity(value)
    if isinstance(value, datetime):
        return numbers.day(value) if _is_midnight(value) else numbers.timestamp(value)
    if isinstance(value, date):
        return numbers.day(value)
    if isinstance(value, Mapping):
        return params_text(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(plain(v) for v in value)
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return plain(value.item())
    text = str(value)
    return numbers.quantity(Decimal(text)) if _is_long_decimal_text(text) else text


def params_text(params: Mapping[str, Any] | None) -> str:
    """Strategy parameters as people write them: ``fast=10, slow=200`` (an em dash when there are none)."""
    if not params:
        return numbers.DASH
    return ", ".join(f"{k}={_param(v)}" for k, v in params.items())


def _param(value: Any) -> str:
    # a parameter keeps its digits as typed (14, 2.5, 0.0001); only long floats are cut to four decimals
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_param(v) for v in value) + "]"
    return str(value) if isinstance(value, str | int) else plain(value)


def _is_midnight(value: datetime) -> bool:
    return (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)


def _is_long_decimal_text(text: str) -> bool:
    """A decimal number written with more than four decimals (``"2.0000000000"``); text already formatted for
    people (``"0.90"``, ``"12.34%"``) is left as it is."""
    body = text.strip().lstrip("+-")
    whole, dot, frac = body.partition(".")
    return bool(dot) and whole.isdigit() and frac.isdigit() and len(frac) > 4
