"""Small pieces every answer is made of: a sentence, a line of metrics, a strategy's parameters, a value in
words, and a plain rendering of any other result's fields (never ``key=value`` and never a Python repr)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from quant.display import (
    DASH,
    count,
    counted,
    day,
    format_metric,
    joined,
    metric_label,
    money,
    percent_points,
    quantity,
)
from quant.display.metrics import HEADLINE, METRICS

MAX_FIELDS = 8


def sentence(text: str) -> str:
    """``text`` with a capital first letter and a full stop (empty stays empty)."""
    if not text:
        return text
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!", ":")) else ".")


def clause(text: str) -> str:
    """``text`` ending with a full stop, its first letter as it was (it follows a colon)."""
    text = text.strip()
    if text[:1].isupper() and text[1:2].islower():
        text = text[:1].lower() + text[1:]
    return text + ("" if not text or text.endswith((".", "?", "!")) else ".")


def figures(metrics: Mapping[str, Any], names: tuple[str, ...] | None = None) -> str:
    """The metrics (default: the headline ones present) in one line: ``total return +184.58%, Sharpe 0.85, 51
    trades``; a metric without a value is left out."""
    wanted = names if names is not None else tuple(n for n in HEADLINE if n in metrics)
    parts = []
    for name in wanted:
        if metrics.get(name) is None:
            continue
        if name in ("trade_count", "n_trades"):
            parts.append(counted(metrics[name], "trade"))
        else:
            parts.append(f"{metric_label(name)} {format_metric(name, metrics[name])}")
    return ", ".join(parts)


def plain_value(value: Any) -> str:
    """A setting or a field as words: ``10``, ``0.55``, ``yes``/``no``, ``AAPL and MSFT``, a date without its time."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return quantity(value)
    if isinstance(value, datetime | date):
        return day(value)
    if isinstance(value, list | tuple):
        return joined(plain_value(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{str(k).replace('_', ' ')} {plain_value(v)}" for k, v in value.items()) or "none"
    text = str(value)
    return day(text) if len(text) >= 19 and text[10:11] == "T" and text[:4].isdigit() else text


def params_text(params: Mapping[str, Any]) -> str:
    """``fast 10, slow 50`` (a searched list: ``fast 5, 10 or 20``; switched-off flags left out)."""
    parts = []
    for key, value in params.items():
        name = str(key).replace("_", " ")
        if isinstance(value, list):
            if len(value) != 1:
                parts.append(f"{name} {joined((plain_value(v) for v in value), 'or')}")
                continue
            value = value[0]
        if value is False or value is None or isinstance(value, Mapping):
            continue
        parts.append(name if value is True else f"{name} {plain_value(value)}")
    return ", ".join(parts)


def field_label(key: str) -> str:
    """A field's name for people: a known metric's label, else the name without underscores or unit suffix."""
    if key in METRICS:
        return metric_label(key)
    for suffix in ("_usd", "_pct"):
        if key.endswith(suffix):
            return key[: -len(suffix)].replace("_", " ")
    return key.replace("_", " ")


def field_text(key: str, value: Any) -> str:
    """A field's value for people, by its unit suffix (``equity_usd`` money, ``*_pct`` percent) or metric."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if key.endswith("_usd"):
            return money(value)
        if key.endswith("_pct"):
            return percent_points(value)
        if key in METRICS:
            return format_metric(key, value)
    return plain_value(value)


def fields_line(data: Mapping[str, Any], skip: tuple[str, ...] = ("status", "tool")) -> str:
    """Up to ``MAX_FIELDS`` scalar fields of a result as ``label value`` pairs (nested records left out)."""
    parts = []
    for key, value in data.items():
        if key in skip or isinstance(value, Mapping) or (isinstance(value, list) and value and
                                                         isinstance(value[0], Mapping)):
            continue
        parts.append(f"{field_label(key)} {field_text(key, value)}")
        if len(parts) == MAX_FIELDS:
            break
    return ", ".join(parts)


def tool_words(name: str) -> str:
    """A tool's name as words: ``check_data_freshness`` -> ``check data freshness``."""
    return name.replace("_", " ")


def limit_text(key: str, value: Any) -> str:
    """One risk limit's value: ``*_pct`` percent, ``*_usd`` money (stored as a decimal string), counts, symbols."""
    if key == "allowed_symbols":
        return "any symbol with market data" if not value else joined(sorted(value))
    if key.endswith("_usd"):
        return money(value)
    if key.endswith("_pct"):
        return percent_points(value)
    return count(value) if isinstance(value, int) else plain_value(value)
