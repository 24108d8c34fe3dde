"""TWAP and VWAP slicing of a parent order into child intents with deterministic client order ids.

Child quantities are whole shares that sum exactly to the parent's; child ``i`` has client order id
``<parent id>-<i>`` so re-slicing the same parent yields the same children (and the outbox dedups them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal

from errors import ConfigError
from quant.execution.orders import OrderIntent


def _split(total: Decimal, weights: Sequence[float]) -> list[Decimal]:
    """Whole-share split of ``total`` proportional to ``weights``; remainders go to the largest weights."""
    if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ConfigError("slicing needs at least one non-negative weight with a positive sum",
                          details={"field": "weights"})
    if total != total.to_integral_value():
        raise ConfigError(f"slicing needs a whole-share parent quantity, got {total}", details={"field": "qty"})
    scale = Decimal(str(sum(weights)))
    raw = [total * Decimal(str(w)) / scale for w in weights]
    parts = [r.quantize(Decimal(1), ROUND_DOWN) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in order[: int(total - sum(parts))]:
        parts[i] += 1
    return parts


def _children(parent: OrderIntent, quantities: Sequence[Decimal]) -> tuple[OrderIntent, ...]:
    return tuple(replace(parent, qty=q, decision_key=f"{parent.decision_key}/slice-{i}",
                         client_order_id=f"{parent.client_order_id}-{i}")
                 for i, q in enumerate(quantities) if q > 0)


def twap_slices(parent: OrderIntent, n_slices: int) -> tuple[OrderIntent, ...]:
    """``n_slices`` children of (nearly) equal size, to be sent at equal time intervals."""
    if n_slices < 1:
        raise ConfigError(f"n_slices must be >= 1, got {n_slices}", details={"field": "n_slices"})
    return _children(parent, _split(parent.qty, [1.0] * n_slices))


def vwap_slices(parent: OrderIntent, volume_profile: Sequence[float]) -> tuple[OrderIntent, ...]:
    """Children proportional to the expected volume of each interval (e.g. the average intraday profile)."""
    return _children(parent, _split(parent.qty, list(volume_profile)))
