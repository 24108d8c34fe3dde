"""Point-in-time price windows and the return/covariance estimates the optimisers share.

Prices are a wide frame of closes (index = timestamps, columns = symbols). Estimates are annual
(``TRADING_DAYS_PER_YEAR`` periods per year): expected returns are the compounded historical
growth rate (CAGR), covariance is of simple daily returns, annualised.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pypfopt import expected_returns, risk_models

from errors import ConfigError, DataError

TRADING_DAYS_PER_YEAR = 252
CovarianceName = Literal["ledoit_wolf", "sample", "exp"]
COVARIANCE_METHODS: tuple[str, ...] = ("ledoit_wolf", "sample", "exp")
EXP_COV_SPAN_DAYS = 180
MIN_OBSERVATIONS = 3


def _as_index_timestamp(as_of, index: pd.Index) -> pd.Timestamp:
    """``as_of`` as a Timestamp comparable with ``index`` (naive vs UTC-aware aligned)."""
    ts = pd.Timestamp(as_of)
    index_tz = getattr(index, "tz", None)
    if index_tz is not None and ts.tzinfo is None:
        return ts.tz_localize(index_tz)
    if index_tz is None and ts.tzinfo is not None:
        return ts.tz_convert("UTC").tz_localize(None)
    return ts


def price_window(prices: pd.DataFrame, *, as_of=None, lookback_days: int | None = None) -> pd.DataFrame:
    """Rows of ``prices`` visible at ``as_of`` (rows with ts > as_of dropped), last ``lookback_days`` rows.

    ``lookback_days`` counts price rows (trading days), not calendar days. Raises DataError when
    prices are missing, non-positive or fewer than ``MIN_OBSERVATIONS`` rows remain.
    """
    if not isinstance(prices, pd.DataFrame) or prices.empty:
        raise DataError("prices must be a non-empty wide DataFrame of closes (columns = symbols)")
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise DataError("prices index must be a DatetimeIndex of bar timestamps")
    window = prices.sort_index()
    if as_of is not None:
        window = window.loc[window.index <= _as_index_timestamp(as_of, window.index)]
    if lookback_days is not None:
        if lookback_days < MIN_OBSERVATIONS:
            raise ConfigError(f"lookback_days={lookback_days} must be at least {MIN_OBSERVATIONS}")
        window = window.iloc[-lookback_days:]
    window = window.dropna(how="any")
    if len(window) < MIN_OBSERVATIONS:
        raise DataError(f"only {len(window)} complete price rows at as_of={as_of}; need {MIN_OBSERVATIONS}")
    bad = (window <= 0).any()
    if bad.any():
        raise DataError(f"non-positive close for symbols {sorted(map(str, bad[bad].index))}")
    return window.astype("float64")


def annual_expected_returns(prices: pd.DataFrame) -> pd.Series:
    """Compounded historical annual growth rate per symbol (fraction per year)."""
    return expected_returns.mean_historical_return(prices, frequency=TRADING_DAYS_PER_YEAR)


def annual_covariance(prices: pd.DataFrame, covariance: str) -> pd.DataFrame:
    """Annualised covariance of daily simple returns by ``covariance`` (ledoit_wolf, sample, exp)."""
    if covariance == "ledoit_wolf":
        matrix = risk_models.CovarianceShrinkage(prices, frequency=TRADING_DAYS_PER_YEAR).ledoit_wolf()
    elif covariance == "sample":
        matrix = risk_models.sample_cov(prices, frequency=TRADING_DAYS_PER_YEAR)
    elif covariance == "exp":
        matrix = risk_models.exp_cov(prices, span=EXP_COV_SPAN_DAYS, frequency=TRADING_DAYS_PER_YEAR)
    else:
        raise ConfigError(f"unknown covariance {covariance!r}; choose one of {list(COVARIANCE_METHODS)}")
    return risk_models.fix_nonpositive_semidefinite(matrix, fix_method="spectral")


def portfolio_statistics(
    weights: pd.Series, mu: pd.Series, cov: pd.DataFrame, risk_free_rate: float
) -> tuple[float, float, float]:
    """(expected annual return, annual volatility, Sharpe) of ``weights`` under ``mu``/``cov``."""
    w = weights.reindex(mu.index).fillna(0.0).to_numpy()
    ret = float(w @ mu.to_numpy())
    vol = float(np.sqrt(max(w @ cov.to_numpy() @ w, 0.0)))
    sharpe = (ret - risk_free_rate) / vol if vol > 0 else 0.0
    return ret, vol, float(sharpe)
