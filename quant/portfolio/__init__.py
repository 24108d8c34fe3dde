"""Portfolio construction: optimisation, whole-share allocation, drift rebalancing, frontier.

The names are loaded on first use: ``quant.portfolio.methods`` (what a command checks ``--method`` against)
comes without pandas and the solvers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quant.portfolio.allocation import discrete_allocation
    from quant.portfolio.frontier import efficient_frontier_points
    from quant.portfolio.methods import METHODS
    from quant.portfolio.optimizer import optimize_portfolio
    from quant.portfolio.rebalance import rebalance_signals
    from quant.portfolio.results import (
        Allocation,
        BlackLittermanView,
        FrontierPoint,
        OptimizationResult,
        RebalanceTrade,
    )

_WHERE = {"METHODS": "methods", "discrete_allocation": "allocation", "efficient_frontier_points": "frontier",
          "optimize_portfolio": "optimizer", "rebalance_signals": "rebalance", "Allocation": "results",
          "BlackLittermanView": "results", "FrontierPoint": "results", "OptimizationResult": "results",
          "RebalanceTrade": "results"}

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


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"quant.portfolio.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'quant.portfolio' has no attribute {name!r}")
