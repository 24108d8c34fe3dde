"""What a run assumed about money: starting capital, commissions and slippage, in one line people can check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quant.display import numbers


def commission_text(config: Mapping[str, Any]) -> str:
    """The commission schedule: ``$1.00 per order + $0.005 per share + 2 bps`` (parts that are zero left out,
    ``none`` when all are)."""
    parts = []
    per_order, per_share, rate = (config.get(k) or 0 for k in ("commission_per_order", "commission_per_share",
                                                                 "commission_bps"))
    if per_order:
        parts.append(f"{numbers.money(per_order)} per order")
    if per_share:
        parts.append(f"${numbers.quantity(per_share)} per share")
    if rate:
        parts.append(numbers.bps(rate))
    return " + ".join(parts) or "none"


def cost_summary(config: Mapping[str, Any]) -> str:
    """``starting capital $100,000.00 · commission $1.00 per order · slippage 10 bps`` from a backtest config
    (``initial_capital``, ``commission_per_order``, ``commission_per_share``, ``commission_bps``,
    ``slippage_bps``; missing fields are left out)."""
    parts = []
    if config.get("initial_capital") is not None:
        parts.append(f"starting capital {numbers.money(config['initial_capital'])}")
    if any(k in config for k in ("commission_per_order", "commission_per_share", "commission_bps")):
        parts.append(f"commission {commission_text(config)}")
    if config.get("slippage_bps") is not None:
        parts.append(f"slippage {numbers.bps(config['slippage_bps'])}")
    return " · ".join(parts)


def allocation_summary(allocation: Mapping[str, Any]) -> str:
    """``whole shares for $50,000.00: $49,900.23 invested, $99.77 left in cash`` from a discrete allocation
    (``total_value``, ``invested_value``, ``leftover_cash``, dollars)."""
    return (f"whole shares for {numbers.money(allocation.get('total_value'))}: "
            f"{numbers.money(allocation.get('invested_value'))} invested, "
            f"{numbers.money(allocation.get('leftover_cash'))} left in cash")
