"""Portfolio construction: optimisation, whole-share allocation, drift rebalancing, frontier."""

from quant.portfolio.allocation import discrete_allocation
from quant.portfolio.frontier import efficient_frontier_points
from quant.portfolio.optimizer import METHODS, optimize_portfolio
from quant.portfolio.rebalance import rebalance_signals
from quant.portfolio.results import (
    Allocation,
    BlackLittermanView,
    FrontierPoint,
    OptimizationResult,
    RebalanceTrade,
)

__all__ = [
    "METHODS",
    "Allocation",
    "BlackLittermanView",
    "FrontierPoint",
    "OptimizationResult",
    "RebalanceTrade",
    "discrete_allocation",
    "efficient_frontier_points",
    "optimize_portfolio",
    "rebalance_signals",
]
