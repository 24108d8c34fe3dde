"""Symbol grounding: every symbol the model names must be one we hold data for.

Callers pass the known set (``BarStore.known_symbols()``, i.e. the instruments table); an
unknown symbol comes back with close matches ("APPL" -> "AAPL") instead of being guessed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_SUGGESTIONS = 3
SIMILARITY_CUTOFF = 0.6  # difflib ratio below which a known symbol is not offered as a match

_SHARE_CLASS_SEPARATORS = re.compile(r"[./\-_ ]")


@dataclass(frozen=True)
class UnknownSymbol:
    """A symbol not in the known set, with the closest known symbols (best first)."""

    symbol: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class GroundingResult:
    """``grounded`` maps each input symbol (upper-cased) to its known spelling; ``unknown`` lists the rest."""

    grounded: dict[str, str] = field(default_factory=dict)
    unknown: tuple[UnknownSymbol, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.unknown

    @property
    def symbols(self) -> tuple[str, ...]:
        """The known spellings of the grounded symbols, in input order."""
        return tuple(self.grounded.values())

    @property
    def code(self) -> str | None:
        return None if self.ok else "unknown_symbol"

    @property
    def details(self) -> dict:
        return {"unknown": {u.symbol: list(u.suggestions) for u in self.unknown}}

    def message(self) -> str:
        """One line for the user: which symbols are unknown and what they might have meant."""
        if self.ok:
            return "all symbols are known"
        parts = []
        for u in self.unknown:
            hint = f" (did you mean {' or '.join(u.suggestions)}?)" if u.suggestions else ""
            parts.append(f"{u.symbol}{hint}")
        noun = "symbol" if len(parts) == 1 else "symbols"
        return f"unknown {noun}: " + ", ".join(parts)


def _share_class_key(symbol: str) -> str:
    """BRK.B, BRK-B, BRK/B and BRK_B are one instrument."""
    return _SHARE_CLASS_SEPARATORS.sub(".", symbol.strip().upper())


def ground_symbols(symbols: Iterable[str], known: set[str] | frozenset[str]) -> GroundingResult:
    """Check ``symbols`` against ``known`` (case- and share-class-separator-insensitive)."""
    by_key: dict[str, str] = {}
    for k in sorted(known):
        by_key.setdefault(_share_class_key(k), k)
    candidates = sorted(by_key)
    grounded: dict[str, str] = {}
    unknown: list[UnknownSymbol] = []
    seen: set[str] = set()
    for raw in symbols:
        symbol = str(raw).strip().upper()
        if not symbol or symbol in seen:
            continue
        seen.add(symbol)
        key = _share_class_key(symbol)
        if key in by_key:
            grounded[symbol] = by_key[key]
            continue
        close = difflib.get_close_matches(key, candidates, n=MAX_SUGGESTIONS, cutoff=SIMILARITY_CUTOFF)
        unknown.append(UnknownSymbol(symbol, tuple(by_key[c] for c in close)))
    return GroundingResult(grounded, tuple(unknown))
