"""How the CLI prints: Rich tables for people, ``--json`` for programs; one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich import box
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


# headers of columns that hold ids: never wrapped, long ones shortened (``show`` and ``--json`` give the full id)
ID_HEADERS = frozenset({"id", "approval", "proposal", "thread", "order", "request"})


def is_id_column(header: str) -> bool:
    name = header.strip().lower()
    return name in ID_HEADERS or name.endswith(" id")


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
                no_wrap: Sequence[str] = ()) -> None:
    """A table that fits the terminal: every cell as ``quant.display.plain`` writes it (callers format numbers
    with their unit first), id columns on one line and shortened, ``no_wrap`` columns (dates, ranges) on one
    line, other text wrapped at word boundaries. No vertical rules, so 80 columns hold more."""
    from quant.display import plain, short_id

    ids = [is_id_column(c) for c in columns]
    cells = [[short_id(str(v)) if ids[i] and isinstance(v, str) else plain(v) for i, v in enumerate(row)]
             for row in rows]
    table = Table(title=title, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for i, column in enumerate(columns):
        keep = ids[i] or column in no_wrap
        widest = max([len(column), *(len(r[i]) for r in cells)]) if keep else None
        table.add_column(column, no_wrap=keep, min_width=widest, overflow="fold")
    for row in cells:
        table.add_row(*(escape(c) for c in row))
    console.print(table)


def print_fields(data: Mapping[str, Any]) -> None:
    """One ``key: value`` line per field (a list of records: one indented line each), printed as text: a model's
    summary or a broker's reason is never read as Rich markup (``[link=…]`` in it stays visible text)."""
    from quant.display import plain

    for key, value in data.items():
        if isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
            console.print(f"[bold]{escape(str(key))}[/]:", highlight=False)
            for item in value:
                console.print(f"  {plain(item)}", highlight=False, markup=False)
            continue
        console.print(f"[bold]{escape(str(key))}[/]: {escape(plain(value))}", highlight=False)


def print_error(message: str) -> None:
    """One error line on stderr, secrets masked (an error may echo what was typed) and never read as markup."""
    err_console.print(f"[bold red]error:[/] {escape(redact(message))}", highlight=False, soft_wrap=True)
