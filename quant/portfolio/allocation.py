"""Whole-share allocation of target weights (long only)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from errors import ConfigError
from quant.portfolio.results import Allocation


def discrete_allocation(
    weights: Mapping[str, float], latest_prices: Mapping[str, float], total_value: float
) -> Allocation:
    """Whole shares per symbol for ``weights`` (fractions) of ``total_value`` (currency) at ``latest_prices``.

    Floors each target first, then greedily buys one more share of the most under-weight symbol
    that is still affordable, so the spend never exceeds ``total_value``.
    """
    if total_value < 0 or not math.isfinite(total_value):
        raise ConfigError(f"total_value must be a finite non-negative amount, got {total_value}")
    symbols = [s for s, w in weights.items() if w != 0]
    negative = sorted(s for s in symbols if weights[s] < 0)
    if negative:
        raise ConfigError(f"discrete_allocation is long only; negative weights for {negative}")
    missing = sorted(s for s in symbols if s not in latest_prices)
    if missing:
        raise ConfigError(f"latest_prices lacks symbols {missing}")
    prices = np.array([float(latest_prices[s]) for s in symbols])
    bad = [s for s, p in zip(symbols, prices, strict=True) if not (p > 0 and math.isfinite(p))]
    if bad:
        raise ConfigError(f"latest_prices must be positive for {sorted(bad)}")
    targets = np.array([float(weights[s]) for s in symbols]) * total_value
    shares = np.floor(targets / prices) if symbols else np.array([])
    cash = total_value - float(shares @ prices) if symbols else total_value
    while symbols:
        deficit = np.where(prices <= cash, targets - shares * prices, -np.inf)
        best = int(np.argmax(deficit))
        if not np.isfinite(deficit[best]) or deficit[best] <= 0:
            break
        shares[best] += 1
        cash -= prices[best]
    held = {s: int(n) for s, n in zip(symbols, shares, strict=True) if n > 0}
    invested = float(sum(held[s] * float(latest_prices[s]) for s in held))
    leftover = total_value - invested
    return Allocation(shares=held, invested_value=invested, leftover_cash=leftover, total_value=total_value)
