"""Value at risk and conditional VaR (expected shortfall) of a return series.

Inputs are simple periodic returns (fractions, e.g. daily). Outputs are *losses as positive fractions*
of portfolio value over one period: ``historical_var(r, 0.99) == 0.031`` means a 3.1% one-day loss is
exceeded on 1% of days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from errors import DataError


def _clean(returns: pd.Series | np.ndarray, confidence: float) -> np.ndarray:
    if not 0.5 < confidence < 1:
        raise DataError(f"confidence must be in (0.5, 1), got {confidence}", details={"field": "confidence"})
    values = np.asarray(returns, dtype="float64")
    values = values[np.isfinite(values)]
    if values.size < 2:
        raise DataError("VaR needs at least 2 finite returns", details={"field": "returns", "count": values.size})
    return values


def historical_var(returns: pd.Series | np.ndarray, confidence: float = 0.95) -> float:
    """Empirical loss quantile: ``-quantile(returns, 1 - confidence)`` (linear interpolation)."""
    values = _clean(returns, confidence)
    return float(-np.quantile(values, 1 - confidence))


def historical_cvar(returns: pd.Series | np.ndarray, confidence: float = 0.95) -> float:
    """Mean loss on the periods at or beyond the historical VaR."""
    values = _clean(returns, confidence)
    cutoff = np.quantile(values, 1 - confidence)
    return float(-values[values <= cutoff].mean())


def parametric_var(returns: pd.Series | np.ndarray, confidence: float = 0.95) -> float:
    """Gaussian VaR: ``-(mean + z_(1-c) * std)`` with the sample std (ddof=1)."""
    values = _clean(returns, confidence)
    return float(-(values.mean() + norm.ppf(1 - confidence) * values.std(ddof=1)))


def parametric_cvar(returns: pd.Series | np.ndarray, confidence: float = 0.95) -> float:
    """Gaussian expected shortfall: ``-mean + std * pdf(z) / (1 - c)``."""
    values = _clean(returns, confidence)
    z = norm.ppf(1 - confidence)
    return float(-values.mean() + values.std(ddof=1) * norm.pdf(z) / (1 - confidence))


def portfolio_returns(prices: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """Daily simple returns of a constant-weight portfolio; ``prices`` wide (index dates, columns symbols)."""
    missing = sorted(set(weights) - set(prices.columns))
    if missing:
        raise DataError(f"no prices for {', '.join(missing)}", details={"field": "symbol", "symbol": missing[0]})
    rets = prices[list(weights)].pct_change().dropna(how="all").fillna(0.0)
    return rets @ pd.Series(weights, dtype="float64")
