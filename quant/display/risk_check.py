"""The risk policy's verdict on one order as words for people (terminal, Slack, chat): passes, or each reason it is
refused with its figures in their units (``$50,000.00``, ``25.00%``, ``1,200 shares``). Inputs are the JSON-ready
values a pre-trade check produces (``CheckAnswer.to_dict()``: ``approved``, ``codes``, ``details``), so every
interface says the same words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from quant.display.numbers import DASH, money, percent_points, quantity
from quant.display.text import counted
from quant.display.values import plain


def measured(value: Any, unit: str) -> str:
    """A risk figure in its unit (the policy's ``unit`` names: ``pct_of_equity``, ``usd``, ``shares``, …)."""
    if value is None:
        return DASH
    if unit.startswith("pct"):
        return percent_points(value)
    if unit.startswith("usd"):
        return money(value) + (" a share" if unit == "usd_per_share" else "")
    if unit == "shares":
        return f"{quantity(value)} shares"
    if unit == "positions":
        return counted(value, "position")
    return plain(value)


# what each refusal code means, for a detail without a message of its own (the policy's words take precedence)
MEANINGS = {
    "NOTIONAL_CAP_EXCEEDED": "the order's value is over the cap for one order",
    "LIQUIDITY_EXCEEDED": "the order is too large a share of the symbol's average daily volume",
    "CAPITAL_DEPLOYED_EXCEEDED": "too much of the equity would be invested",
    "CONCENTRATION_EXCEEDED": "one symbol would be too large a share of the equity",
    "RISK_PER_TRADE_EXCEEDED": "the loss down to the stop would be too large a share of the equity",
    "MAX_POSITIONS_REACHED": "one more open position than the limit allows",
    "DAILY_LOSS_LIMIT": "today's loss has reached its limit",
    "MAX_DRAWDOWN": "the drawdown from the high-water mark has reached its limit",
    "SYMBOL_NOT_ALLOWED": "the symbol is not on the allowed list",
    "FAT_FINGER": "the price is too far from the last price",
}


def _meaning(name: str, detail: Mapping[str, Any]) -> str:
    if detail.get("message"):
        return str(detail["message"])
    if name == "FAT_FINGER" and detail.get("field") and detail.get("last_price") is not None:
        return (f"the {str(detail['field']).replace('_', ' ')} {money(detail.get('price'))} is too far from the last "
                f"price {money(detail['last_price'])}")
    if name == "SYMBOL_NOT_ALLOWED" and detail.get("symbol"):
        return f"{detail['symbol']} is not on the allowed list"
    return MEANINGS.get(name, "refused")


def refusal_reasons(codes: Iterable[Any], details: Mapping[Any, Any]) -> list[str]:
    """One line per refusal code: ``concentration exceeded: one symbol would be too large a share (31.50% against
    a limit of 25.00%)``."""
    reasons = []
    for code in codes:
        name = str(getattr(code, "value", code))
        found = details.get(code, details.get(name))
        detail = found if isinstance(found, Mapping) else {}
        text = f"{name.lower().replace('_', ' ')}: {_meaning(name, detail)}"
        if detail.get("observed") is not None and detail.get("threshold") is not None:
            unit = str(detail.get("unit") or "")
            text += f" ({measured(detail['observed'], unit)} against a limit of {measured(detail['threshold'], unit)})"
        reasons.append(text)
    return reasons


def check_verdict(answer: Mapping[str, Any]) -> str:
    """``passes the risk policy``, or ``rejected:`` and each reason on its own ``- `` line
    (``CheckAnswer.to_dict()``)."""
    if answer.get("approved"):
        return "passes the risk policy"
    reasons = refusal_reasons(answer.get("codes") or [], answer.get("details") or {})
    if not reasons:
        return f"rejected: {answer.get('reason') or 'no reason given'}"
    return "\n".join(["rejected:", *(f"- {r}" for r in reasons)])
