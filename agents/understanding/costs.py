"""The money knobs of a backtest or walk-forward written in a request: starting capital, commission per order,
per share or in basis points, and slippage in basis points ("with $50k", "commission $1 per trade", "$0.005 a
share", "slippage 5 bps", "no commission"). The same fields the CLI's cost flags and the API's ``config`` set."""

from __future__ import annotations

from agents.understanding.request import Request

_NUMBER = r"(\d[\d,]*(?:\.\d+)?)(?![\d.])"
_AMOUNT = rf"\$?\s*{_NUMBER}\s*(k|m|thousand|million)?\b"
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}
_BPS = r"\s*(?:bps|bp|basis points?)\b"
_CAPITAL = (  # each with the amount and its scale as groups 1 and 2
    rf"\b(?:starting|initial|start)?\s*(?:capital|cash|balance|bankroll)\s*(?:of|at|=|:|is)?\s*{_AMOUNT}",
    rf"\b(?:with|start(?:ing)? with|from|on)\s+(?:a\s+)?\${_NUMBER}\s*(k|m|thousand|million)?\b",
    rf"\$?{_NUMBER}\s*(k|m|thousand|million)?\s+(?:starting\s+|initial\s+)?(?:capital|account|portfolio)\b",
)
_PER_SHARE = rf"\$?\s*{_NUMBER}\s*(?:dollars?\s*)?(?:per|a|/)\s*share\b"
_COMMISSION = r"\b(?:commissions?|fees?)\s*(?:of|at|=|:|is)?\s*"
_PER_ORDER = rf"{_COMMISSION}\$?\s*{_NUMBER}(?!\s*(?:bps|bp|basis|%|\$?\s*(?:dollars?\s*)?(?:per|a|/)\s*share))"
_COMMISSION_BPS = rf"{_COMMISSION}{_NUMBER}{_BPS}"
_SLIPPAGE = rf"\bslippage\s*(?:of|at|=|:|is)?\s*{_NUMBER}{_BPS}|\b{_NUMBER}{_BPS}\s*(?:of\s*)?slippage"
_NO_COMMISSION = r"\b(?:no|zero|without)\s+(?:commissions?|fees?)\b|\bcommission[- ]free\b"
_NO_SLIPPAGE = r"\b(?:no|zero|without)\s+slippage\b"


def amount(text: str, scale: str | None = None) -> float:
    """``text`` as a number, times ``scale`` (k, m, thousand, million) when given: "50k" -> 50,000."""
    return float(text.replace(",", "")) * _SCALE.get(scale or "", 1.0)


def costs_in(r: Request, *, reuse: bool = False) -> dict[str, float]:
    """The cost fields the request names (``initial_capital``, ``commission_per_order``, ``commission_per_share``,
    ``commission_bps``, ``slippage_bps``); with ``reuse`` ("a walk-forward of it"), those of the thread's last run
    that it does not name; the rest keeps the defaults."""
    previous = (r.last_run or {}).get("costs") if reuse else None
    costs: dict[str, float] = dict(previous) if isinstance(previous, dict) else {}
    for pattern in _CAPITAL:
        if m := r.find(pattern):
            costs["initial_capital"] = amount(m.group(1), m.group(2))
            break
    if r.has(_NO_COMMISSION):
        costs.update(commission_per_order=0.0, commission_per_share=0.0, commission_bps=0.0)
    if m := r.find(_PER_SHARE):
        costs["commission_per_share"] = amount(m.group(1))
        costs.setdefault("commission_per_order", 0.0)  # a per-share schedule replaces the per-order default
    if m := r.find(_COMMISSION_BPS):
        costs["commission_bps"] = amount(m.group(1))
    elif m := r.find(_PER_ORDER):
        costs["commission_per_order"] = amount(m.group(1))
    if r.has(_NO_SLIPPAGE):
        costs["slippage_bps"] = 0.0
    elif m := r.find(_SLIPPAGE):
        costs["slippage_bps"] = amount(m.group(1) or m.group(2))
    return costs
