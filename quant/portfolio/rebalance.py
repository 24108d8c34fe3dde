"""Drift-triggered rebalancing: trade back to target once any weight drifts too far."""

from __future__ import annotations

from collections.abc import Mapping

from errors import ConfigError
from quant.portfolio.results import RebalanceTrade

_MIN_WEIGHT_CHANGE = 1e-12


def rebalance_signals(
    current_weights: Mapping[str, float], target_weights: Mapping[str, float], drift_threshold: float
) -> list[RebalanceTrade]:
    """Trades (weight changes, fractions of portfolio value) back to target, or [] when no drift.

    A rebalance triggers when any symbol's |current - target| exceeds ``drift_threshold`` (a
    fraction, 0.05 = 5 percentage points); then every symbol off target is traded back to it,
    sells first, in symbol order. Symbols missing from one side count as weight 0.
    """
    if not 0 <= drift_threshold < 1:
        raise ConfigError(f"drift_threshold {drift_threshold} must be a fraction in [0, 1)")
    symbols = sorted(set(current_weights) | set(target_weights))
    drifts = {s: float(target_weights.get(s, 0.0)) - float(current_weights.get(s, 0.0)) for s in symbols}
    if not any(abs(d) > drift_threshold for d in drifts.values()):
        return []
    trades = [
        RebalanceTrade(
            symbol=s,
            side="buy" if d > 0 else "sell",
            current_weight=float(current_weights.get(s, 0.0)),
            target_weight=float(target_weights.get(s, 0.0)),
            weight_change=d,
        )
        for s, d in drifts.items()
        if abs(d) > _MIN_WEIGHT_CHANGE
    ]
    return sorted(trades, key=lambda t: (t.side != "sell", t.symbol))
