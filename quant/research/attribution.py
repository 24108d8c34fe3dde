"""Factor attribution of a strategy's daily returns: OLS exposures, t-stats, contributions, alpha.

Model: r_t = alpha + sum_k beta_k f_k,t + e_t on simple daily returns (fractions), dates aligned
by calendar day (intersection). Contributions are annualised: beta_k · mean(f_k) · 252.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from errors import DataError

TRADING_DAYS_PER_YEAR = 252
FACTOR_SYMBOLS: tuple[str, ...] = ("MTUM", "QUAL", "SIZE", "USMV", "VLUE")


@dataclass(frozen=True)
class FactorExposure:
    """One factor's OLS beta, its t-statistic and annual return contribution (fraction)."""

    factor: str
    beta: float
    t_stat: float
    annual_contribution: float


@dataclass(frozen=True)
class AttributionResult:
    """Exposures per factor plus alpha (daily and annualised ×252, fractions) and fit quality."""

    exposures: tuple[FactorExposure, ...]
    alpha_daily: float
    alpha_annual: float
    alpha_t_stat: float
    r_squared: float
    residual_annual_volatility: float
    strategy_annual_return: float
    n_observations: int

    def betas(self) -> dict[str, float]:
        return {e.factor: e.beta for e in self.exposures}

    def to_dict(self) -> dict:
        return asdict(self)


def bundled_factor_returns() -> pd.DataFrame:
    """Daily simple returns of the factor ETFs MTUM, QUAL, SIZE, USMV, VLUE (skfolio, 2014-2022)."""
    from skfolio.datasets import load_factors_dataset

    closes = load_factors_dataset()[list(FACTOR_SYMBOLS)]
    return closes.pct_change().iloc[1:]


def _calendar_days(index: pd.Index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return idx.normalize()


def factor_attribution(strategy_returns: pd.Series, factor_returns: pd.DataFrame | None = None) -> AttributionResult:
    """Regress ``strategy_returns`` (daily, fractions) on ``factor_returns`` (default: bundled ETFs)."""
    factors = bundled_factor_returns() if factor_returns is None else factor_returns
    y = pd.Series(strategy_returns, dtype="float64").copy()
    y.index = _calendar_days(y.index)
    x = factors.astype("float64").copy()
    x.index = _calendar_days(x.index)
    joined = pd.concat([y.rename("__strategy__"), x], axis=1, join="inner").dropna()
    k = x.shape[1]
    n = len(joined)
    if n <= k + 2:
        raise DataError(f"only {n} overlapping days of strategy and factor returns; need more than {k + 2}")
    design = np.column_stack([np.ones(n), joined[x.columns].to_numpy()])
    target = joined["__strategy__"].to_numpy()
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    residual = target - design @ coef
    dof = n - k - 1
    sigma2 = float(residual @ residual) / dof
    xtx_inv = np.linalg.pinv(design.T @ design)
    std_err = np.sqrt(np.maximum(np.diag(xtx_inv) * sigma2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stats = np.where(std_err > 0, coef / std_err, np.inf * np.sign(coef))
    total = float(((target - target.mean()) ** 2).sum())
    r_squared = 1.0 - float(residual @ residual) / total if total > 0 else 1.0
    factor_means = joined[x.columns].mean().to_numpy()
    exposures = tuple(
        FactorExposure(
            factor=str(name), beta=float(coef[i + 1]), t_stat=float(t_stats[i + 1]),
            annual_contribution=float(coef[i + 1] * factor_means[i] * TRADING_DAYS_PER_YEAR),
        )  # fmt: skip
        for i, name in enumerate(x.columns)
    )
    return AttributionResult(
        exposures=exposures,
        alpha_daily=float(coef[0]),
        alpha_annual=float(coef[0] * TRADING_DAYS_PER_YEAR),
        alpha_t_stat=float(t_stats[0]),
        r_squared=r_squared,
        residual_annual_volatility=float(np.sqrt(sigma2 * TRADING_DAYS_PER_YEAR)),
        strategy_annual_return=float(target.mean() * TRADING_DAYS_PER_YEAR),
        n_observations=n,
    )
