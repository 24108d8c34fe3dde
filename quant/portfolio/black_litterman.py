"""Black-Litterman posterior returns from absolute views, on PyPortfolioOpt.

Prior: market-implied returns Π = δ Σ w_mkt, with w_mkt from ``market_caps`` or equal weights when none are
given, and δ the market-implied risk aversion of that market portfolio over the price window; without views the
prior is the answer. View uncertainty follows Idzorek's method from each view's confidence.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from pypfopt.black_litterman import (
    BlackLittermanModel,
    market_implied_prior_returns,
    market_implied_risk_aversion,
)

from errors import ConfigError
from quant.portfolio.estimation import TRADING_DAYS_PER_YEAR
from quant.portfolio.results import BlackLittermanView

# He & Litterman's default when the window's market portfolio earned less than the risk-free
# rate (a negative implied risk aversion would invert the prior).
DEFAULT_RISK_AVERSION = 2.5


def parse_views(views, symbols) -> dict[str, BlackLittermanView]:
    """``{symbol: BlackLittermanView | (return, confidence) | {"expected_annual_return", "confidence"}}`` checked."""
    parsed = {}
    for symbol, view in views.items():
        if symbol not in symbols:
            raise ConfigError(f"view names unknown symbol {symbol!r}")
        if not isinstance(view, BlackLittermanView):
            try:
                if isinstance(view, Mapping):
                    view = BlackLittermanView(float(view["expected_annual_return"]), float(view["confidence"]))
                else:
                    view = BlackLittermanView(float(view[0]), float(view[1]))
            except (TypeError, IndexError, KeyError, ValueError) as exc:
                raise ConfigError(f"view for {symbol} must be (expected_annual_return, confidence)") from exc
        if not 0.0 < view.confidence <= 1.0:
            raise ConfigError(f"view for {symbol}: confidence {view.confidence} must be in (0, 1]")
        parsed[str(symbol)] = view
    return parsed


def market_weights(symbols: list[str], market_caps: Mapping[str, float] | None) -> pd.Series:
    """Market portfolio weights: from ``market_caps`` (every symbol needed) or equal weights."""
    if market_caps is None:
        return pd.Series(1.0 / len(symbols), index=symbols)
    missing = sorted(set(symbols) - set(market_caps))
    if missing:
        raise ConfigError(f"market_caps lacks symbols {missing}")
    caps = pd.Series({s: float(market_caps[s]) for s in symbols})
    if (caps <= 0).any():
        raise ConfigError(f"market_caps must be positive; bad: {sorted(caps[caps <= 0].index)}")
    return caps / caps.sum()


def black_litterman_posterior(
    prices: pd.DataFrame,
    cov: pd.DataFrame,
    views,
    *,
    market_caps: Mapping[str, float] | None,
    risk_free_rate: float,
) -> tuple[pd.Series, pd.DataFrame]:
    """Posterior (annual expected returns, annual covariance) given absolute views; without views, the
    market-implied prior itself (Π = δ Σ w_mkt with the covariance unchanged)."""
    symbols = list(cov.index)
    w_mkt = market_weights(symbols, market_caps)
    market_value = (prices[symbols] / prices[symbols].iloc[0]) @ w_mkt
    delta = float(market_implied_risk_aversion(market_value, TRADING_DAYS_PER_YEAR, risk_free_rate))
    if not delta > 0:
        delta = DEFAULT_RISK_AVERSION
    if not views:
        prior = market_implied_prior_returns(w_mkt.to_dict(), delta, cov, risk_free_rate)
        return prior.reindex(symbols), cov
    parsed = parse_views(views, symbols)
    model = BlackLittermanModel(
        cov,
        pi="market",
        market_caps=w_mkt.to_dict(),
        risk_aversion=delta,
        risk_free_rate=risk_free_rate,
        absolute_views={s: v.expected_annual_return for s, v in parsed.items()},
        omega="idzorek",
        view_confidences=[v.confidence for v in parsed.values()],
    )
    return model.bl_returns(), model.bl_cov()
