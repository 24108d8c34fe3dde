"""How the CLI prints: Rich tables for people, ``--json`` for programs; one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

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


def _token(text: str) -> bool:
    """One long unbroken token (a hash, a key, an id in a text column): it cannot wrap at a space."""
    return len(text) >= 24 and not any(c.isspace() for c in text)


def _column_widths(columns: Sequence[str], cells: list[list[str]], keep: list[bool], room: int) -> list[int] | None:
    """Widths that fit ``room``: every column at least its longest word (a whole cell when it must not wrap), the
    space left shared out by how much more each column would use; None when the natural widths fit already (or
    not even the words do: then Rich folds)."""
    def longest_word(i: int) -> int:
        texts = [columns[i], *(r[i] for r in cells)]
        return max(len(t) if keep[i] else max((len(w) for w in t.split()), default=0) for t in texts)

    natural = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    floor = [min(longest_word(i), natural[i]) for i in range(len(columns))]
    room -= 2 * (len(columns) - 1)  # two spaces between columns
    if sum(natural) <= room or sum(floor) > room:
        return None
    spare, wants = room - sum(floor), [n - f for n, f in zip(natural, floor, strict=True)]
    extra = [spare * w // sum(wants) for w in wants]
    return [f + e for f, e in zip(floor, extra, strict=True)]


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
                no_wrap: Sequence[str] = ()) -> None:
    """A table that fits the terminal: every cell as ``quant.display.plain`` writes it (callers format numbers
    with their unit first), ids and ``no_wrap`` columns (dates, ranges) on one line, other text wrapped at word
    boundaries. Long ids are shown whole when the table fits, else shortened with a note that ``--json`` (and
    ``show``) give them whole. No vertical rules, so 80 columns hold more."""
    from rich import box  # here: `risk status` and the `show` commands print fields, no table
    from rich.table import Table

    from quant.display import plain, short_id

    ids = [is_id_column(c) for c in columns]
    cells = [[str(v) if ids[i] and isinstance(v, str) else plain(v) for i, v in enumerate(row)] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    long_ids = {(n, i) for n, r in enumerate(cells) for i, v in enumerate(r) if (ids[i] or _token(v)) and
                len(short_id(v)) < len(v)}
    shortened = bool(long_ids) and sum(widths) + 2 * (len(columns) - 1) > console.width
    if shortened:
        cells = [[short_id(v) if (n, i) in long_ids else v for i, v in enumerate(r)] for n, r in enumerate(cells)]
    keep = [ids[i] or c in no_wrap for i, c in enumerate(columns)]  # a shortened token is one word: it never wraps
    sizes = _column_widths(columns, cells, keep, console.width)
    if title:  # a line of its own, at the left: a centred title folds inside a narrow table
        console.print(f"[bold]{escape(title)}[/]", highlight=False)
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_edge=False)
    for i, column in enumerate(columns):
        table.add_column(column, no_wrap=keep[i], width=sizes[i] if sizes else None, overflow="fold")
    for row in cells:
        table.add_row(*(escape(c) for c in row))
    console.print(table)
    if shortened:
        console.print("ids shortened to fit; --json prints them whole", style="dim", highlight=False)


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
