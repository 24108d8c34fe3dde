"""Exposure of a book: gross/net dollars and percent of equity; beta and correlation to a benchmark."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from errors import DataError


@dataclass(frozen=True)
class Exposure:
    """Dollar exposure (long, short as a positive number, gross = long + short, net = long - short) and
    gross/net as percent of equity."""

    long_usd: Decimal
    short_usd: Decimal
    gross_usd: Decimal
    net_usd: Decimal
    gross_pct: float
    net_pct: float


def exposure(positions: Mapping[str, Decimal], prices: Mapping[str, Decimal], equity_usd: Decimal) -> Exposure:
    """Exposure of signed share ``positions`` marked at ``prices`` (dollars per share)."""
    long_usd = short_usd = Decimal(0)
    for symbol, qty in positions.items():
        if symbol not in prices:
            raise DataError(f"no price for held symbol {symbol}", details={"field": "symbol", "symbol": symbol})
        value = Decimal(qty) * Decimal(prices[symbol])
        if value >= 0:
            long_usd += value
        else:
            short_usd -= value
    gross, net = long_usd + short_usd, long_usd - short_usd
    pct = (lambda v: float(v / equity_usd * 100)) if equity_usd > 0 else (lambda v: float("nan"))
    return Exposure(long_usd, short_usd, gross, net, pct(gross), pct(net))


def beta_and_correlation(returns: pd.Series, benchmark_returns: pd.Series) -> tuple[float, float]:
    """OLS beta ``cov(r, b) / var(b)`` and Pearson correlation over the common dates (NaN rows dropped)."""
    both = pd.concat([returns, benchmark_returns], axis=1, join="inner").dropna()
    if len(both) < 3:
        raise DataError("beta needs at least 3 common return dates", details={"field": "returns"})
    r, b = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
    cov = np.cov(r, b, ddof=1)
    return float(cov[0, 1] / cov[1, 1]), float(np.corrcoef(r, b)[0, 1])
