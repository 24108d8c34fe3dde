"""Symbols named by the model are checked against the instruments we hold before any tool reads them.

``grounded(ctx, symbols)`` returns their stored spellings or raises ``UnknownSymbols``, which every
tool answers with a ``refused`` result (code ``unknown_symbol``) naming the close matches
("APPL" -> "AAPL"): the model gets told, never guesses.
"""

from __future__ import annotations

from collections.abc import Iterable

from errors import QuantpilotError
from guardrails.grounding import GroundingResult, ground_symbols
from tools.collaborators import require
from tools.context import ToolContext

UNKNOWN_SYMBOL = "unknown_symbol"


class UnknownSymbols(QuantpilotError):
    """Symbols not in the instruments table; ``details['unknown']`` maps each to its close matches."""

    code = UNKNOWN_SYMBOL

    def __init__(self, result: GroundingResult, extra: dict | None = None):
        super().__init__(result.message(), details={**result.details, **(extra or {})})
        self.result = result


def known_symbols(ctx: ToolContext) -> set[str]:
    """The instruments table (symbols with stored bars)."""
    from memory.bars import BarStore

    return BarStore(require(ctx.database, "database")).known_symbols()


def grounded(ctx: ToolContext, symbols: Iterable[str], known: set[str] | None = None) -> list[str]:
    """The stored spellings of ``symbols`` (input order); ``UnknownSymbols`` if any is not held."""
    result = ground_symbols(symbols, known if known is not None else known_symbols(ctx))
    if not result.ok:
        raise UnknownSymbols(result)
    return list(result.symbols)
