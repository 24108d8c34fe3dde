"""How the CLI prints: Rich tables for people, ``--json`` for programs; one-line errors."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from guardrails.redaction import redact

console = Console()
err_console = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(payload: Any) -> str:
    return json.dumps(payload, default=_default, indent=2, allow_nan=False)


def print_json(payload: Any) -> None:
    sys.stdout.write(to_json(payload) + "\n")


_TABLE_STEP = Decimal("0.0001")  # a table shows at most 4 decimals; --json keeps every digit


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, Decimal | str):
        return short_decimal(value)
    return str(value)


def short_decimal(value: Decimal | str) -> str:
    """A decimal amount as people read it: ``2.0000000000`` -> ``2``, ``147.69971234`` -> ``147.6997``; any
    other text unchanged."""
    text = str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return text
        number = value
    elif "." not in text or not text.replace(".", "", 1).lstrip("+-").isdigit():
        return text
    else:
        number = Decimal(text)
    rounded = number.quantize(_TABLE_STEP) if number.as_tuple().exponent < _TABLE_STEP.as_tuple().exponent else number
    shown = format(rounded.normalize(), "f")
    return "0" if rounded.is_zero() else shown


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")  # a narrow terminal folds an id, never cuts it
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    console.print(table)


def plain_text(value: Any) -> str:
    """A value as a person reads it: times to the second, decimals shortened, ``k=v`` pairs for a mapping."""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S %Z}".strip()
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={plain_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(plain_text(v) for v in value) + "]"
    if isinstance(value, float) and math.isfinite(value):
        return short_decimal(repr(value))
    return _cell(value)


def print_fields(data: Mapping[str, Any]) -> None:
    """One ``key: value`` line per field (a list of records: one indented line each), printed as text: a model's
    summary or a broker's reason is never read as Rich markup (``[link=…]`` in it stays visible text)."""
    for key, value in data.items():
        if isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
            console.print(f"[bold]{escape(str(key))}[/]:", highlight=False)
            for item in value:
                console.print(f"  {plain_text(item)}", highlight=False, markup=False)
            continue
        console.print(f"[bold]{escape(str(key))}[/]: {escape(plain_text(value))}", highlight=False)


def print_error(message: str) -> None:
    """One error line on stderr, secrets masked (an error may echo what was typed) and never read as markup."""
    err_console.print(f"[bold red]error:[/] {escape(redact(message))}", highlight=False, soft_wrap=True)
