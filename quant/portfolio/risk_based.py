"""Risk-based allocations PyPortfolioOpt lacks with bounds: HRP and risk budgeting, on skfolio.

Both fit skfolio estimators on daily simple returns with a covariance estimator matching the
one named by ``covariance`` (ledoit_wolf, sample, exp), so bounds and group caps are honoured
by the solver itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from skfolio import RiskMeasure
from skfolio.exceptions import SkfolioError
from skfolio.moments import EmpiricalCovariance, EWCovariance, LedoitWolf
from skfolio.optimization import HierarchicalRiskParity, RiskBudgeting
from skfolio.prior import EmpiricalPrior

from errors import ConfigError
from quant.portfolio.constraints import GroupCap
from quant.portfolio.estimation import EXP_COV_SPAN_DAYS


def _prior(covariance: str) -> EmpiricalPrior:
    if covariance == "ledoit_wolf":
        estimator = LedoitWolf()
    elif covariance == "sample":
        estimator = EmpiricalCovariance()
    else:  # "exp": same decay as pypfopt's exp_cov span (half-life = span·ln2/2 approx.)
        estimator = EWCovariance(half_life=EXP_COV_SPAN_DAYS * np.log(2) / 2)
    return EmpiricalPrior(covariance_estimator=estimator)


def _risk_budget(symbols: list[str], risk_budget: Mapping[str, float] | None) -> np.ndarray:
    if risk_budget is None:
        return np.full(len(symbols), 1.0 / len(symbols))
    unknown = sorted(set(risk_budget) - set(symbols))
    if unknown:
        raise ConfigError(f"risk_budget names unknown symbols {unknown}")
    budget = np.array([float(risk_budget.get(s, 0.0)) for s in symbols])
    if (budget <= 0).any():
        raise ConfigError("risk_budget must give every symbol a positive share")
    return budget / budget.sum()


def solve_risk_based(
    method: str,
    prices: pd.DataFrame,
    *,
    covariance: str,
    bounds: tuple[float, float],
    caps: list[GroupCap],
    risk_budget: Mapping[str, float] | None = None,
) -> pd.Series:
    """Raw weights for hrp (long-only) or risk_parity/risk_budgeting (variance risk budgets)."""
    returns = prices.pct_change().iloc[1:]
    symbols = [str(s) for s in prices.columns]
    lower = max(bounds[0], 0.0)
    try:
        if method == "hrp":
            if caps:
                raise ConfigError("group_caps are not supported by hrp; use risk_budgeting or a mean-variance method")
            model = HierarchicalRiskParity(
                risk_measure=RiskMeasure.VARIANCE, prior_estimator=_prior(covariance),
                min_weights=lower, max_weights=bounds[1],
            )  # fmt: skip
        else:
            groups, constraints = None, None
            if caps:
                groups = [[cap.name if s in cap.symbols else f"not_{cap.name}" for s in symbols] for cap in caps]
                constraints = [f"{cap.name} <= {cap.max_weight!r}" for cap in caps]
            model = RiskBudgeting(
                risk_measure=RiskMeasure.VARIANCE, risk_budget=_risk_budget(symbols, risk_budget),
                prior_estimator=_prior(covariance), min_weights=lower, max_weights=bounds[1],
                groups=groups, linear_constraints=constraints,
            )  # fmt: skip
        model.fit(returns)
    except (SkfolioError, ValueError) as exc:
        raise ConfigError(f"{method} is infeasible with bounds={bounds} and group caps: {exc}") from exc
    return pd.Series(model.weights_, index=prices.columns, dtype="float64")
