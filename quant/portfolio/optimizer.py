"""``optimize_portfolio``: one entry point for every allocation method, point in time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from errors import ConfigError
from quant.portfolio.black_litterman import black_litterman_posterior
from quant.portfolio.constraints import check_bounds, finalise_weights, parse_group_caps
from quant.portfolio.estimation import (
    COVARIANCE_METHODS,
    annual_covariance,
    annual_expected_returns,
    portfolio_statistics,
    price_window,
)
from quant.portfolio.mean_variance import solve_mean_variance
from quant.portfolio.methods import MEAN_VARIANCE_METHODS, check_method
from quant.portfolio.results import OptimizationResult
from quant.portfolio.risk_based import solve_risk_based


def optimize_portfolio(
    prices: pd.DataFrame,
    method: str,
    *,
    as_of=None,
    lookback_days: int | None = None,
    weight_bounds: tuple[float, float] = (0.0, 1.0),
    group_caps: Mapping[str, tuple[Iterable[str], float]] | None = None,
    risk_free_rate: float = 0.0,
    views=None,
    market_caps: Mapping[str, float] | None = None,
    target_return: float | None = None,
    target_volatility: float | None = None,
    covariance: str = "ledoit_wolf",
    risk_budget: Mapping[str, float] | None = None,
) -> OptimizationResult:
    """Target weights for ``prices`` (wide closes, columns = symbols) by ``method`` (see METHODS).

    Only rows with ts <= ``as_of`` are used, then the last ``lookback_days`` rows. Returns,
    volatility and rates are annual fractions. ``group_caps`` = {group: (symbols, max total
    weight)}; ``views`` (black_litterman) = {symbol: (expected_annual_return, confidence)};
    ``risk_budget`` (risk_budgeting) = {symbol: share of risk}, equal when None. Reported
    statistics use historical CAGR and the chosen covariance (Black-Litterman: its posterior).
    Raises ConfigError for an unknown method/covariance/symbol or an infeasible target.
    """
    check_method(method)
    if covariance not in COVARIANCE_METHODS:
        raise ConfigError(f"unknown covariance {covariance!r}; choose one of {list(COVARIANCE_METHODS)}")
    window = price_window(prices, as_of=as_of, lookback_days=lookback_days)
    window.columns = [str(c) for c in window.columns]
    lower, upper = check_bounds(weight_bounds, window.shape[1])
    caps = parse_group_caps(group_caps, list(window.columns))
    mu = annual_expected_returns(window)
    cov = annual_covariance(window, covariance)

    if method in MEAN_VARIANCE_METHODS:
        raw = solve_mean_variance(
            method, mu, cov, bounds=(lower, upper), caps=caps, risk_free_rate=risk_free_rate,
            target_return=target_return, target_volatility=target_volatility,
        )  # fmt: skip
    elif method == "black_litterman":
        mu, cov = black_litterman_posterior(
            window, cov, views, market_caps=market_caps, risk_free_rate=risk_free_rate
        )
        raw = solve_mean_variance(
            "max_sharpe", mu, cov, bounds=(lower, upper), caps=caps, risk_free_rate=risk_free_rate
        )
    else:
        if method == "hrp":
            lower = max(lower, 0.0)
        raw = solve_risk_based(
            method, window, covariance=covariance, bounds=(lower, upper), caps=caps, risk_budget=risk_budget
        )
    weights = finalise_weights(raw, lower, upper)
    ret, vol, sharpe = portfolio_statistics(pd.Series(weights), mu, cov, risk_free_rate)
    return OptimizationResult(
        weights=weights,
        expected_annual_return=ret,
        annual_volatility=vol,
        sharpe=sharpe,
        method=method,
        covariance=covariance,
        as_of=pd.Timestamp(window.index[-1]).isoformat(),
        n_observations=len(window),
    )
