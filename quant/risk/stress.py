"""Stress tests: replay the worst historical windows on today's weights, and hypothetical shocks.

Prices are a wide frame (index = dates, columns = symbols, closes in dollars). Results are portfolio
returns as fractions (-0.3 = a 30% loss).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from errors import DataError

# Named crises; dates inside skfolio's bundled S&P 500 data (1990-01-02 .. 2022-12-28).
HISTORICAL_SCENARIOS: dict[str, tuple[str, str]] = {
    "gfc_2008": ("2008-09-01", "2009-03-09"),
    "covid_2020": ("2020-02-19", "2020-03-23"),
    "dotcom_2000": ("2000-03-24", "2002-10-09"),
    "rate_shock_2022": ("2022-01-03", "2022-10-12"),
}


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    start: pd.Timestamp
    end: pd.Timestamp
    portfolio_return: float
    symbol_returns: Mapping[str, float]


def _weights(prices: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    missing = sorted(set(weights) - set(prices.columns))
    if missing:
        raise DataError(f"no prices for {', '.join(missing)}", details={"field": "symbol", "symbol": missing[0]})
    return pd.Series(weights, dtype="float64")


def replay_window(prices: pd.DataFrame, weights: Mapping[str, float], start: str, end: str,
                  name: str = "window") -> ScenarioResult:
    """Buy-and-hold return of ``weights`` (fractions of equity) from the first to the last close in [start, end]."""
    w = _weights(prices, weights)
    window = prices.loc[pd.Timestamp(start):pd.Timestamp(end), list(w.index)].dropna(how="all")
    if len(window) < 2:
        raise DataError(f"scenario {name} has fewer than 2 price dates in {start}..{end}",
                        details={"field": "prices", "scenario": name})
    first, last = window.ffill().iloc[0], window.ffill().iloc[-1]
    symbol_returns = (last / first - 1).fillna(0.0)
    return ScenarioResult(name, window.index[0], window.index[-1], float((symbol_returns * w).sum()),
                          {s: float(v) for s, v in symbol_returns.items()})


def historical_scenarios(prices: pd.DataFrame, weights: Mapping[str, float],
                         scenarios: Mapping[str, tuple[str, str]] = HISTORICAL_SCENARIOS) -> tuple[ScenarioResult, ...]:
    """Every named scenario that the price history covers, worst first."""
    results = []
    for name, (start, end) in scenarios.items():
        if prices.index.min() <= pd.Timestamp(start) and prices.index.max() >= pd.Timestamp(end):
            results.append(replay_window(prices, weights, start, end, name))
    return tuple(sorted(results, key=lambda r: r.portfolio_return))


def worst_windows(prices: pd.DataFrame, weights: Mapping[str, float], window_days: int = 21,
                  count: int = 3) -> tuple[ScenarioResult, ...]:
    """The ``count`` worst non-overlapping ``window_days``-session returns of the constant-weight portfolio."""
    w = _weights(prices, weights)
    daily = prices[list(w.index)].pct_change().fillna(0.0) @ w
    rolling = (1 + daily).rolling(window_days).apply(lambda x: x.prod(), raw=True) - 1
    results: list[ScenarioResult] = []
    taken: list[tuple[int, int]] = []
    for end_label, value in rolling.dropna().sort_values().items():
        end_pos = prices.index.get_loc(end_label)
        start_pos = end_pos - window_days
        if any(start_pos < e and s < end_pos for s, e in taken):
            continue
        taken.append((start_pos, end_pos))
        start = prices.index[start_pos]
        results.append(ScenarioResult(f"worst_{window_days}d_{len(results) + 1}", start, end_label, float(value),
                                      {s: float(prices[s].iloc[end_pos] / prices[s].iloc[start_pos] - 1)
                                       for s in w.index}))
        if len(results) == count:
            break
    return tuple(results)


def hypothetical_shock(weights: Mapping[str, float], shocks_pct: Mapping[str, float],
                       sectors: Mapping[str, str] | None = None, name: str = "shock") -> ScenarioResult:
    """Portfolio return if each symbol moves by ``shocks_pct`` (percent); keys may be symbols or sector names
    (a symbol's own shock wins over its sector's)."""
    sectors = sectors or {}
    moves = {}
    for symbol in weights:
        pct = shocks_pct.get(symbol, shocks_pct.get(sectors.get(symbol, ""), 0.0))
        moves[symbol] = pct / 100
    total = sum(weights[s] * moves[s] for s in weights)
    return ScenarioResult(name, pd.NaT, pd.NaT, float(total), moves)
