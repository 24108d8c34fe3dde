"""Output check: numbers the final answer states about runs must come from tool results.

``check_numbers`` lists the percentages and decimals in an answer that no tool result supports.
Matching is tolerant of formatting: a tool's ``0.1234`` supports "12.34%", "12.3%", "12%" and
"0.12"; a tool's ``12.34`` (already in percent) supports "12.3%". A number matches when the
tool value, on one of the scales x1, x100 or /100, rounds to it at the precision written.
Whole numbers without a unit (years, counts, ids) are not checked.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# A number not glued to a word, date, time or version; optional sign, $, thousands commas,
# decimals and a unit. Lookarounds keep "2024-01-15", "10:30", "v1.2.3" and "SMA_20" out.
_NUMBER = re.compile(
    r"(?<![\w.:/\-])(?P<sign>[-+\u2212])?\$?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?P<unit>\s?%|\s?percent\b|\s?pct\b|\s?bps\b|\s?bp\b|x\b)?(?![\w:/]|[.,]\d|-\d)",
    re.IGNORECASE,
)
_SCALES = (1.0, 100.0, 0.01)
_BPS_SCALES = (1.0, 10_000.0, 100.0)  # bps from bps, from a fraction, from percent


@dataclass(frozen=True)
class _Stated:
    text: str
    value: float
    decimals: int
    signed: bool
    unit: str  # "", "%", "bps"


def _stated_numbers(answer: str) -> list[_Stated]:
    found = []
    for m in _NUMBER.finditer(answer):
        unit_raw = (m.group("unit") or "").strip().lower()
        unit = "%" if unit_raw in ("%", "percent", "pct") else "bps" if unit_raw in ("bps", "bp") else ""
        frac = m.group("frac") or ""
        if not frac and not unit:
            continue  # whole numbers without a unit: years, counts, ids
        sign = m.group("sign") or ""
        magnitude = float(m.group("int").replace(",", "") + frac)
        value = -magnitude if sign in ("-", "\u2212") else magnitude
        found.append(_Stated(m.group().strip(), value, max(len(frac) - 1, 0), bool(sign), unit))
    return found


def _tool_numbers(results: Iterable[Mapping | str | Any]) -> list[float]:
    numbers: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int | float | Decimal):
            if math.isfinite(float(value)):
                numbers.append(float(value))
        elif isinstance(value, str):
            for m in _NUMBER.finditer(value):
                magnitude = float(m.group("int").replace(",", "") + (m.group("frac") or ""))
                numbers.append(-magnitude if (m.group("sign") or "") in ("-", "\u2212") else magnitude)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                walk(item)
        else:  # pydantic models, dataclasses: their JSON form
            try:
                walk(json.loads(json.dumps(value, default=lambda o: getattr(o, "__dict__", str(o)))))
            except (TypeError, ValueError):
                walk(str(value))

    for result in results:
        walk(result)
    return numbers


def _supported(stated: _Stated, candidates: list[float]) -> bool:
    tolerance = 0.5 * 10.0 ** (-stated.decimals) + 1e-9
    scales = _BPS_SCALES if stated.unit == "bps" else _SCALES
    for raw in candidates:
        for scale in scales:
            value = raw * scale
            if abs(value - stated.value) <= tolerance:
                return True
            # "a drawdown of 12%" for a tool's -0.12: prose drops the sign; an explicit sign must match
            if not stated.signed and abs(abs(value) - stated.value) <= tolerance:
                return True
    return False


def check_numbers(answer: str, tool_results: list[dict | str]) -> list[str]:
    """Numbers in ``answer`` (as written, first occurrence order) that no tool result supports."""
    candidates = _tool_numbers(tool_results)
    unsupported: list[str] = []
    for stated in _stated_numbers(answer):
        if stated.text not in unsupported and not _supported(stated, candidates):
            unsupported.append(stated.text)
    return unsupported
