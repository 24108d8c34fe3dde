"""Mean-variance optimisation (Markowitz) on PyPortfolioOpt's EfficientFrontier.

Inputs are annual expected returns ``mu`` and annual covariance ``cov``; outputs raw weights
(a Series over the symbols) before the final projection in ``constraints.finalise_weights``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pypfopt import EfficientFrontier
from pypfopt.exceptions import OptimizationError

from errors import ConfigError
from quant.display import percent
from quant.portfolio.constraints import GroupCap


def _frontier(mu: pd.Series, cov: pd.DataFrame, bounds: tuple[float, float], caps: list[GroupCap]) -> EfficientFrontier:
    ef = EfficientFrontier(mu, cov, weight_bounds=bounds)
    symbols = list(mu.index)
    for cap in caps:
        mask = np.array([s in cap.symbols for s in symbols], dtype=float)
        ef.add_constraint(lambda w, mask=mask, limit=cap.max_weight: mask @ w <= limit)
    return ef


def solve_mean_variance(
    method: str,
    mu: pd.Series,
    cov: pd.DataFrame,
    *,
    bounds: tuple[float, float],
    caps: list[GroupCap],
    risk_free_rate: float,
    target_return: float | None = None,
    target_volatility: float | None = None,
) -> pd.Series:
    """Raw weights for one of MEAN_VARIANCE_METHODS; infeasible problems raise ConfigError."""
    ef = _frontier(mu, cov, bounds, caps)
    try:
        if method == "max_sharpe":
            if float(mu.max()) <= risk_free_rate:
                raise ConfigError(
                    f"max_sharpe needs an asset whose expected return exceeds risk_free_rate={risk_free_rate}; "
                    f"the best is {mu.idxmax()} at {float(mu.max()):.4f}"
                )
            ef.max_sharpe(risk_free_rate=risk_free_rate)
        elif method == "min_volatility":
            ef.min_volatility()
        elif method == "efficient_return":
            if target_return is None:
                raise ConfigError("efficient_return needs target_return (annual fraction, e.g. 0.15)")
            ef.efficient_return(float(target_return))
        elif method == "efficient_risk":
            if target_volatility is None:
                raise ConfigError("efficient_risk needs target_volatility (annual fraction, e.g. 0.20)")
            ef.efficient_risk(float(target_volatility))
        else:
            raise ConfigError(f"unknown mean-variance method {method!r}")
    except (OptimizationError, ValueError) as exc:
        target = {"efficient_return": target_return, "efficient_risk": target_volatility}.get(method)
        what = f"a target of {percent(target)} a year" if target is not None else "these constraints"
        raise ConfigError(
            f"{method} is infeasible for {what} with weights between {percent(bounds[0])} and {percent(bounds[1])}"
            f"{_reachable(method, mu, cov, bounds, caps) or f': {exc}'}",
            details={"method": method, "target": target},
        ) from exc
    return pd.Series(ef.weights, index=mu.index, dtype="float64")


def _reachable(method: str, mu: pd.Series, cov: pd.DataFrame, bounds, caps) -> str:
    """What a target can be, for the refusal: the least volatility, or the highest expected return, on offer."""
    try:
        if method == "efficient_risk":
            ef = _frontier(mu, cov, bounds, caps)
            ef.min_volatility()
            _, least, _ = ef.portfolio_performance()
            return f": the least volatile portfolio of these symbols has {percent(least)}; ask for at least that"
        if method == "efficient_return":
            return f": the best expected return of these symbols is {percent(float(mu.max()))}; ask for less"
    except (OptimizationError, ValueError):
        return ""
    return ""
