"""Values as text for people. Every function accepts None/NaN (shown as an em dash) and never raises on a
number; units are in the names: ``percent`` takes a fraction (0.1234 -> ``12.34%``), ``percent_points`` a
value already in percent (12.34 -> ``12.34%``), ``money`` dollars."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Any

DASH = "—"


def _finite(value: Any) -> Decimal | None:
    """``value`` as a finite Decimal, or None for None, NaN, infinities and text that is not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return Decimal(repr(float(value))) if math.isfinite(value) else None  # float(): a numpy float64 too
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _rounded(value: Decimal, digits: int) -> Decimal:
    """``value`` to ``digits`` decimals, half to even, however large it is."""
    with localcontext() as context:
        context.prec = max(28, value.adjusted() + digits + 2)
        return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)


def _fixed(value: Decimal, digits: int) -> str:
    text = f"{_rounded(value, digits):,.{digits}f}"
    return "0" + text[2:] if text.startswith("-0") and not any(c in "123456789" for c in text) else text


def number(value: Any, digits: int = 2) -> str:
    """A plain ratio or statistic (Sharpe 0.8529 -> ``0.85``), thousands separated."""
    found = _finite(value)
    return DASH if found is None else _fixed(found, digits)


def percent(fraction: Any, digits: int = 2, *, signed: bool = False) -> str:
    """A fraction as a percentage: 0.1234 -> ``12.34%`` (``+12.34%`` when ``signed``)."""
    found = _finite(fraction)
    return DASH if found is None else percent_points(found * 100, digits, signed=signed)


def percent_points(points: Any, digits: int = 2, *, signed: bool = False) -> str:
    """A value already in percent: 12.34 -> ``12.34%``."""
    found = _finite(points)
    if found is None:
        return DASH
    text = _fixed(found, digits) + "%"
    return "+" + text if signed and found > 0 and not text.startswith("0.00") else text


def money(dollars: Any, *, cents: bool = True, digits: int | None = None) -> str:
    """Dollars with separators: 1234.5 -> ``$1,234.50``; -3 -> ``-$3.00``; ``cents=False`` rounds to dollars;
    ``digits`` decimals instead when given (model costs: 0.00275 -> ``$0.0028`` with 4)."""
    found = _finite(dollars)
    if found is None:
        return DASH
    text = _fixed(abs(found), digits if digits is not None else 2 if cents else 0)
    negative = found < 0 and any(c in "123456789" for c in text)
    return ("-$" if negative else "$") + text


def signed_money(dollars: Any) -> str:
    """Money with its sign always shown: ``+$12.00``, ``-$3.50``, ``$0.00``."""
    text = money(dollars)
    found = _finite(dollars)
    return "+" + text if found is not None and found > 0 and text != "$0.00" else text


def count(value: Any) -> str:
    """A count as an integer with separators: 479.0 -> ``479``, 1479321.0 -> ``1,479,321``."""
    found = _finite(value)
    return DASH if found is None else f"{int(_rounded(found, 0)):,}"


def quantity(value: Any, digits: int = 4) -> str:
    """Shares or units without trailing zeros: ``146``, ``0.5``, ``12.3457`` (at most ``digits`` decimals)."""
    found = _finite(value)
    if found is None:
        return DASH
    rounded = _rounded(found, digits) if -found.as_tuple().exponent > digits else found
    if rounded.is_zero():
        return "0"
    whole, _, frac = f"{rounded.normalize():f}".partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "") if whole not in ("-0",) else f"-0.{frac}"


def day(value: date | datetime | str | None) -> str:
    """A date without a midnight time: ``2022-03-01``."""
    if value is None:
        return DASH
    if isinstance(value, str):
        return value[:10] if len(value) >= 10 and value[4] == "-" and value[7] == "-" else value
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat()


def timestamp(value: datetime | None) -> str:
    """A moment to the second in UTC: ``2026-12-06 11:39:00 UTC`` (a naive value is taken as UTC)."""
    if value is None:
        return DASH
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def short_id(value: str | None, keep: int = 12) -> str:
    """A long id shortened for a table (``qp-3fa9c2…``); the full id stays in ``--json`` and ``show``."""
    if not value:
        return DASH
    return value if len(value) <= keep + 1 else value[:keep] + "…"


def bps(value: Any) -> str:
    """Basis points (1 bp = 0.01%): 10 -> ``10 bps``, 2.5 -> ``2.5 bps``, 1 -> ``1 bp``."""
    text = quantity(value, 2)
    if text == DASH:
        return DASH
    return f"{text} bp" if text == "1" else f"{text} bps"


def seconds(value: Any) -> str:
    """A duration in seconds: 17.032 -> ``17.03 s``; under a second in milliseconds: 0.0491 -> ``49 ms``."""
    found = _finite(value)
    if found is None:
        return DASH
    return f"{_fixed(found * 1000, 0)} ms" if abs(found) < 1 else f"{_fixed(found, 2)} s"
