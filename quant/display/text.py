"""Words and small plain-text tables for people: ``2 trades`` / ``1 trade``, ``AAPL, MSFT and JNJ``, and a table
that fits a chat answer or a terminal (80 columns), right-aligning columns of numbers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from quant.display import numbers

TABLE_WIDTH = 80
_GAP = "  "


def counted(value: Any, noun: str, plural: str | None = None) -> str:
    """A count with its noun: ``1 trade``, ``51 trades``, ``1,234 bars`` (``plural`` for irregular nouns)."""
    text = numbers.count(value)
    if text == numbers.DASH:
        return f"{text} {plural or noun + 's'}"
    return f"{text} {noun if text == '1' else plural or noun + 's'}"


def joined(items: Iterable[Any], last: str = "and") -> str:
    """``AAPL``, ``AAPL and MSFT``, ``AAPL, MSFT and JNJ``."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def _numeric(cell: str) -> bool:
    stripped = cell.strip().lstrip("+-−$").rstrip("%x").replace(",", "").replace(".", "", 1)
    return stripped.isdigit() or cell.strip() == numbers.DASH


def text_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], width: int = TABLE_WIDTH) -> str:
    """Rows as aligned plain text under a header line; columns of numbers align right. Cells longer than
    their share of ``width`` are cut with an ellipsis, so the table never wraps in 80 columns."""
    body = [[str(c) for c in row] for row in rows]
    columns = len(headers)
    widths = [max([len(headers[i]), *(len(r[i]) for r in body)]) for i in range(columns)]
    room = width - len(_GAP) * (columns - 1)
    while sum(widths) > room and max(widths) > 4:  # shrink the widest column until the table fits
        widths[widths.index(max(widths))] -= 1
    right = [bool(body) and all(_numeric(r[i]) for r in body) for i in range(columns)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            text = cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…"
            out.append(text.rjust(widths[i]) if right[i] else text.ljust(widths[i]))
        return _GAP.join(out).rstrip()

    return "\n".join([line(list(headers)), *(line(r) for r in body)])
