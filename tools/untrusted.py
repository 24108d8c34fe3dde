"""External text in tool results (news, provider fields, file imports) reaches the model only wrapped.

``untrusted_text(source, text)`` screens the text (``guardrails.injection.screen``) and returns it
inside ``wrap_untrusted``'s delimiters, neutralised, with the screen's findings so the tool can
flag them in its result. The graph screens every other string of every tool result as well
(``graph.tool_guard``); this is for fields known to be third-party text, which are always wrapped.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardrails.injection import screen, wrap_untrusted


@dataclass(frozen=True)
class Untrusted:
    """``text`` wrapped for a prompt; ``patterns`` are the injection patterns found (empty: none)."""

    text: str
    patterns: tuple[str, ...]

    @property
    def suspicious(self) -> bool:
        return bool(self.patterns)


def untrusted_text(source: str, text: str) -> Untrusted:
    """Screen and wrap third-party ``text`` from ``source`` (e.g. ``news:AAPL``)."""
    return Untrusted(wrap_untrusted(source, text), screen(text).patterns)
