"""What an optimisation request names besides its method and symbols: the dollars to buy whole shares with
("with $50k", "for $50,000"), the target of efficient_return or efficient_risk ("target return 15%", "at 30%
volatility") and Black–Litterman views ("AAPL 12% with 70% confidence", "XOM=5%@40%"). The same inputs as the
CLI's ``--value``, ``--target-return``, ``--target-volatility`` and ``--view``, as annual fractions."""

from __future__ import annotations

from typing import Any

from agents.understanding.costs import amount
from agents.understanding.request import Request

_NUMBER = r"(-?\d+(?:\.\d+)?)"
_DOLLARS = r"\$\s*(\d[\d,]*(?:\.\d+)?)(?![\d.])\s*(k|m|thousand|million)?\b"
_TARGET_RETURN = (rf"\btarget(?:ing)?\s+(?:an?\s+)?(?:annual\s+)?return\s*(?:of|at|=|:)?\s*{_NUMBER}\s*%",
                  rf"{_NUMBER}\s*%\s+(?:annual\s+|a year\s+)?(?:target\s+)?return\b")
_TARGET_VOLATILITY = (rf"\btarget(?:ing)?\s+(?:an?\s+)?(?:annual\s+)?(?:volatility|vol|risk)\s*(?:of|at|=|:)?\s*"
                      rf"{_NUMBER}\s*%", rf"{_NUMBER}\s*%\s+(?:annual\s+)?(?:target\s+)?(?:volatility|vol)\b")
# "aapl 12% with 70% confidence", "aapl=12%@70%", "aapl at 12% with 70% confidence", "aapl returns 12% at 70%"
_VIEW = (rf"\b([a-z][a-z0-9.\-]{{0,9}})\s*(?:=|:|\bat\b|\breturns?\b|\breturning\b|\bto return\b)?\s*{_NUMBER}\s*%"
         rf"\s*(?:a year\s*)?(?:@|\bwith\b|\bat\b)\s*{_NUMBER}\s*%(?:\s*confidence)?")


def _first(r: Request, patterns: tuple[str, ...]) -> float | None:
    for pattern in patterns:
        if m := r.find(pattern):
            return float(m.group(1)) / 100
    return None


def views_in(r: Request) -> dict[str, tuple[float, float]]:
    """Views on the request's own symbols: {symbol: (expected annual return, confidence 0-1)}."""
    import re

    known = set(r.symbols)
    views = {}
    for m in re.finditer(_VIEW, r.low):
        symbol = m.group(1).upper()
        if symbol in known:
            views[symbol] = (float(m.group(2)) / 100, min(max(float(m.group(3)) / 100, 0.0), 1.0))
    return views


def optimisation_inputs(r: Request, method: str) -> dict[str, Any]:
    """The optional arguments of ``optimize_portfolio`` the request names (none: the method's defaults)."""
    inputs: dict[str, Any] = {}
    if m := r.find(_DOLLARS):
        inputs["total_value"] = amount(m.group(1), m.group(2))
    if method == "efficient_return" and (target := _first(r, _TARGET_RETURN)) is not None:
        inputs["target_return"] = target
    if method == "efficient_risk" and (target := _first(r, _TARGET_VOLATILITY)) is not None:
        inputs["target_volatility"] = target
    if method == "black_litterman" and (views := views_in(r)):
        inputs["views"] = views
    return inputs
