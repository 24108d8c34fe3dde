"""Value objects returned by the portfolio optimiser, allocator and rebalancer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class OptimizationResult:
    """Target weights (fractions summing to 1) and their ex-ante statistics.

    ``expected_annual_return`` and ``annual_volatility`` are fractions per year (0.12 = 12 %);
    ``sharpe`` is (return - risk_free_rate) / volatility. ``covariance`` names the estimator
    used; ``as_of`` is the last price row used (ISO string) and ``n_observations`` the rows used.
    """

    weights: dict[str, float]
    expected_annual_return: float
    annual_volatility: float
    sharpe: float
    method: str
    covariance: str
    as_of: str
    n_observations: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Allocation:
    """Whole shares per symbol bought with ``total_value``; ``leftover_cash`` is never negative."""

    shares: dict[str, int]
    invested_value: float
    leftover_cash: float
    total_value: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RebalanceTrade:
    """Move ``symbol`` from ``current_weight`` to ``target_weight`` (fractions of portfolio value)."""

    symbol: str
    side: str  # "buy" or "sell"
    current_weight: float
    target_weight: float
    weight_change: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FrontierPoint:
    """One efficient portfolio: annual volatility and expected annual return (fractions)."""

    annual_volatility: float
    expected_annual_return: float
    weights: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BlackLittermanView:
    """An absolute view: ``symbol`` returns ``expected_annual_return`` (fraction) with ``confidence`` in (0, 1]."""

    expected_annual_return: float
    confidence: float
