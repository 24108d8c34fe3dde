"""Points along the efficient frontier, for the report's frontier chart."""

from __future__ import annotations

import numpy as np
import pandas as pd

from errors import ConfigError
from quant.portfolio.constraints import check_bounds, finalise_weights
from quant.portfolio.estimation import annual_covariance, annual_expected_returns, portfolio_statistics, price_window
from quant.portfolio.mean_variance import solve_mean_variance
from quant.portfolio.results import FrontierPoint


def _max_attainable_return(mu: pd.Series, lower: float, upper: float) -> float:
    """Highest expected return under per-asset bounds: fill the best assets to ``upper`` first."""
    weights = np.full(len(mu), lower)
    room = 1.0 - weights.sum()
    for i in np.argsort(-mu.to_numpy(), kind="stable"):
        add = min(upper - lower, room)
        weights[i] += add
        room -= add
    return float(weights @ mu.to_numpy())


def efficient_frontier_points(
    prices,
    n: int = 20,
    *,
    as_of=None,
    lookback_days: int | None = None,
    weight_bounds: tuple[float, float] = (0.0, 1.0),
    covariance: str = "ledoit_wolf",
) -> list[FrontierPoint]:
    """``n`` efficient portfolios from minimum volatility to (just below) the highest attainable return.

    Volatility and return are annual fractions; points are sorted by volatility.
    """
    if n < 2:
        raise ConfigError(f"n={n} frontier points: need at least 2")
    window = price_window(prices, as_of=as_of, lookback_days=lookback_days)
    window.columns = [str(c) for c in window.columns]
    bounds = check_bounds(weight_bounds, window.shape[1])
    mu = annual_expected_returns(window)
    cov = annual_covariance(window, covariance)
    low = solve_mean_variance("min_volatility", mu, cov, bounds=bounds, caps=[], risk_free_rate=0.0)
    low_return = float(low @ mu)
    high_return = _max_attainable_return(mu, *bounds)
    points = []
    for target in np.linspace(low_return, low_return + (high_return - low_return) * 0.999, n):
        raw = solve_mean_variance(
            "efficient_return", mu, cov, bounds=bounds, caps=[], risk_free_rate=0.0, target_return=float(target)
        )
        weights = finalise_weights(raw, *bounds)
        ret, vol, _ = portfolio_statistics(pd.Series(weights), mu, cov, 0.0)
        points.append(FrontierPoint(annual_volatility=vol, expected_annual_return=ret, weights=weights))
    return sorted(points, key=lambda p: p.annual_volatility)
