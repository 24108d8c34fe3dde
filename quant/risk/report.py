"""``generate_risk_report(book, prices, limits) -> RiskReport``: the numbers the Risk agent shows a person."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import pandas as pd

from quant.risk.book import Book
from quant.risk.exposure import Exposure, exposure
from quant.risk.stress import ScenarioResult, historical_scenarios
from quant.risk.var import historical_cvar, historical_var, parametric_var, portfolio_returns


class ReportLimits(Protocol):
    """The limits the report compares against (``guardrails.risk_policy.RiskLimits`` fits)."""

    max_capital_deployed_pct: float
    max_symbol_concentration_pct: float
    max_open_positions: int
    daily_loss_limit_pct: float
    max_drawdown_pct: float


@dataclass(frozen=True)
class LimitUsage:
    """How much of one limit is used: ``observed`` and ``threshold`` in ``unit``."""

    name: str
    observed: float
    threshold: float
    unit: str

    @property
    def breached(self) -> bool:
        return self.observed >= self.threshold


@dataclass(frozen=True)
class RiskReport:
    """Exposure, one-day VaR/CVaR as % of equity (95 and 99), stress results and limit usage."""

    equity_usd: Decimal
    exposure: Exposure
    weights: Mapping[str, float]
    var_pct: Mapping[str, float]
    stress: tuple[ScenarioResult, ...]
    limits: tuple[LimitUsage, ...]

    @property
    def breaches(self) -> tuple[LimitUsage, ...]:
        return tuple(u for u in self.limits if u.breached)


def generate_risk_report(book: Book, prices: pd.DataFrame, limits: ReportLimits) -> RiskReport:
    """Report for ``book`` marked at the last row of ``prices`` (wide closes, index dates, columns symbols)."""
    last = prices.ffill().iloc[-1]
    marks = {s: Decimal(str(last[s])) for s in book.positions}
    exp = exposure(book.positions, marks, book.equity_usd)
    equity = float(book.equity_usd)
    weights = {s: float(q * marks[s]) / equity for s, q in book.positions.items()} if equity > 0 else {}
    var_pct: dict[str, float] = {}
    stress: tuple[ScenarioResult, ...] = ()
    if weights:
        rets = portfolio_returns(prices, weights).tail(756)
        var_pct = {"historical_var_95": historical_var(rets, 0.95) * 100,
                   "historical_var_99": historical_var(rets, 0.99) * 100,
                   "historical_cvar_95": historical_cvar(rets, 0.95) * 100,
                   "historical_cvar_99": historical_cvar(rets, 0.99) * 100,
                   "parametric_var_95": parametric_var(rets, 0.95) * 100,
                   "parametric_var_99": parametric_var(rets, 0.99) * 100}
        stress = historical_scenarios(prices, weights)
    largest = max((abs(w) * 100 for w in weights.values()), default=0.0)
    dd = float((book.peak_equity_usd - book.equity_usd) / book.peak_equity_usd * 100) if book.peak_equity_usd else 0.0
    day = (float((book.day_start_equity_usd - book.equity_usd) / book.day_start_equity_usd * 100)
           if book.day_start_equity_usd else 0.0)
    usage = (LimitUsage("capital_deployed", exp.gross_pct, limits.max_capital_deployed_pct, "pct_of_equity"),
             LimitUsage("largest_position", largest, limits.max_symbol_concentration_pct, "pct_of_equity"),
             LimitUsage("open_positions", float(len(book.positions)), float(limits.max_open_positions), "positions"),
             LimitUsage("daily_loss", max(day, 0.0), limits.daily_loss_limit_pct, "pct_of_day_start_equity"),
             LimitUsage("drawdown", max(dd, 0.0), limits.max_drawdown_pct, "pct_from_peak"))
    return RiskReport(book.equity_usd, exp, weights, var_pct, stress, usage)
