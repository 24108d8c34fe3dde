"""The allocation methods ``optimize_portfolio`` knows, without the solvers: what a caller checks a requested
method against before loading pandas, PyPortfolioOpt or skfolio."""

from __future__ import annotations

from errors import ConfigError

MEAN_VARIANCE_METHODS: tuple[str, ...] = ("max_sharpe", "min_volatility", "efficient_return", "efficient_risk")
RISK_BASED_METHODS: tuple[str, ...] = ("hrp", "risk_parity", "risk_budgeting")
METHODS: tuple[str, ...] = (*MEAN_VARIANCE_METHODS, "black_litterman", *RISK_BASED_METHODS)


def check_method(method: str) -> str:
    """``method`` if it is one of ``METHODS``, else ConfigError naming the choices."""
    if method not in METHODS:
        raise ConfigError(f"unknown optimisation method {method!r}; choose one of {list(METHODS)}",
                          details={"field": "method", "choices": list(METHODS)})
    return method
