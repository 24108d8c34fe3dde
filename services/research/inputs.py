"""Research inputs written as text (command line, chat, forms) turned into what the service takes."""

from __future__ import annotations

from collections.abc import Iterable

from errors import ConfigError

VIEW_SYNTAX = "SYMBOL=RETURN@CONFIDENCE, e.g. AAPL=0.10@0.6 (10% a year, 60% confident; 10%@60% also works)"


def _fraction(text: str, what: str, view: str) -> float:
    raw = text.strip()
    try:
        return float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ConfigError(f"view {view!r}: {what} {raw!r} is not a number; write {VIEW_SYNTAX}",
                          details={"field": "views"}) from None


def parse_views(texts: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Black–Litterman absolute views ``{symbol: (expected_annual_return, confidence)}``, both fractions, from
    ``AAPL=0.10@0.6`` texts; ConfigError naming the bad one."""
    views: dict[str, tuple[float, float]] = {}
    for view in texts:
        symbol, eq, rest = view.partition("=")
        expected, at, confidence = rest.partition("@")
        if not eq or not at or not symbol.strip():
            raise ConfigError(f"view {view!r}: write {VIEW_SYNTAX}", details={"field": "views"})
        ret, conf = _fraction(expected, "return", view), _fraction(confidence, "confidence", view)
        if not 0 < conf <= 1:
            raise ConfigError(f"view {view!r}: confidence {conf:g} must be above 0 and at most 1 (100%)",
                              details={"field": "views"})
        views[symbol.strip().upper()] = (ret, conf)
    return views
