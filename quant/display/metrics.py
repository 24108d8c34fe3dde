"""Each metric's label and unit, once: the same metric has the same name and unit on every interface.

Units follow ``quant.metrics.performance``: fractions are fractions (``max_drawdown`` 0.158 reads
``15.80%``), money is dollars, durations are bars. Names ending in ``_pct`` already hold percent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from quant.display import numbers


@dataclass(frozen=True)
class MetricFormat:
    """How people see one metric: its label and the function that writes its value."""

    label: str
    write: Callable[[Any], str]


def _bars(value: Any) -> str:
    text = numbers.count(value)
    return text if text == numbers.DASH else f"{text} bars"


_P, _R, _M, _C = numbers.percent, numbers.number, numbers.money, numbers.count
METRICS: dict[str, MetricFormat] = {
    "total_return": MetricFormat("total return", lambda v: _P(v, signed=True)),
    "cagr": MetricFormat("CAGR", lambda v: _P(v, signed=True)),
    "annual_return": MetricFormat("annual return", lambda v: _P(v, signed=True)),
    "expected_return": MetricFormat("expected return", lambda v: _P(v, signed=True)),
    "annual_volatility": MetricFormat("volatility", _P),
    "volatility": MetricFormat("volatility", _P),
    "sharpe": MetricFormat("Sharpe", _R),
    "oos_sharpe": MetricFormat("out-of-sample Sharpe", _R),
    "sortino": MetricFormat("Sortino", _R),
    "calmar": MetricFormat("Calmar", _R),
    "max_drawdown": MetricFormat("max drawdown", _P),
    "max_drawdown_pct": MetricFormat("max drawdown", numbers.percent_points),
    "drawdown_pct": MetricFormat("drawdown", numbers.percent_points),
    "daily_loss_pct": MetricFormat("daily loss", numbers.percent_points),
    "max_drawdown_duration_bars": MetricFormat("longest drawdown", _bars),
    "win_rate": MetricFormat("win rate", lambda v: _P(v, 1)),
    "profit_factor": MetricFormat("profit factor", _R),
    "exposure": MetricFormat("time in market", lambda v: _P(v, 1)),
    "turnover": MetricFormat("turnover", lambda v: _R(v) + "x" if _R(v) != numbers.DASH else numbers.DASH),
    "trade_count": MetricFormat("trades", _C),
    "n_trades": MetricFormat("trades", _C),
    "winning_trades": MetricFormat("winning trades", _C),
    "losing_trades": MetricFormat("losing trades", _C),
    "total_pnl": MetricFormat("P&L", numbers.signed_money),
    "average_trade": MetricFormat("average trade", numbers.signed_money),
    "avg_win": MetricFormat("average win", _M),
    "avg_loss": MetricFormat("average loss", _M),
    "final_equity": MetricFormat("final equity", _M),
    "initial_capital": MetricFormat("starting capital", _M),
    "fees": MetricFormat("fees", _M),
    "alpha": MetricFormat("alpha", lambda v: _P(v, signed=True)),
    "beta": MetricFormat("beta", _R),
    "deflated_sharpe": MetricFormat("deflated Sharpe (p)", _R),
    "oos_deflated_sharpe": MetricFormat("out-of-sample deflated Sharpe (p)", _R),
    "pbo": MetricFormat("probability of overfitting", lambda v: _P(v, 0)),
    "n_trials": MetricFormat("parameter sets tried", _C),
    # research runs: what backtests, grids, Monte Carlo and optimisations report besides performance
    "trades": MetricFormat("trades", _C),
    "equity_final": MetricFormat("final equity", _M),
    "fees_paid": MetricFormat("fees", _M),
    "bars": MetricFormat("bars", _C),
    "oos_bars": MetricFormat("out-of-sample bars", _C),
    "n_backtests": MetricFormat("backtests", _C),
    "skipped": MetricFormat("invalid sets skipped", _C),
    "elapsed_s": MetricFormat("time", numbers.seconds),
    "in_sample_score": MetricFormat("in-sample score", _R),
    "probability_of_loss": MetricFormat("probability of loss", lambda v: _P(v, 1)),
    "expected_annual_return": MetricFormat("expected return", lambda v: _P(v, signed=True)),
    "weight": MetricFormat("weight", _P),
    "n_observations": MetricFormat("days of history", _C),
    "total_value": MetricFormat("amount", _M),
    "invested_value": MetricFormat("invested", _M),
    "leftover_cash": MetricFormat("cash left", _M),
    "commission_per_order": MetricFormat("commission per order", _M),
    "commission_per_share": MetricFormat("commission per share", lambda v: "$" + numbers.quantity(v)
                                         if numbers.quantity(v) != numbers.DASH else numbers.DASH),
    "commission_bps": MetricFormat("commission", numbers.bps),
    "slippage_bps": MetricFormat("slippage", numbers.bps),
    "n_obs": MetricFormat("returns used", _C),
    "n_splits": MetricFormat("CSCV splits", _C),
}


def _percentile_of(name: str) -> tuple[str, str] | None:
    """``("final_equity", "p50")`` for ``final_equity_p50`` when the base metric is known."""
    base, _, tail = name.rpartition("_")
    if base in METRICS and tail[:1] == "p" and tail[1:].isdigit():
        return base, tail
    return None

# the few metrics a short answer leads with, in this order
HEADLINE = ("total_return", "cagr", "sharpe", "max_drawdown", "max_drawdown_pct", "trade_count", "n_trades",
            "win_rate", "final_equity")


def metric_label(name: str) -> str:
    """The people's name of ``name`` (``max_drawdown`` -> ``max drawdown``; unknown names de-snaked)."""
    known = METRICS.get(name)
    if known is None and (split := _percentile_of(name)):
        return f"{METRICS[split[0]].label} ({split[1]})"
    return known.label if known else name.replace("_", " ")


def format_metric(name: str, value: Any) -> str:
    """``value`` of metric ``name`` as people read it; unknown metrics as a plain number (or text)."""
    known = METRICS.get(name) or (METRICS[split[0]] if (split := _percentile_of(name)) else None)
    if known is not None:
        return known.write(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        from quant.display.values import plain  # a mapping, a list or a date reads as people write it

        return plain(value)
    return numbers.count(value) if isinstance(value, int) else numbers.number(value)


def metric_lines(metrics: Mapping[str, Any], names: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """``(label, text)`` pairs for ``names`` (default: the headline metrics present), in that order."""
    wanted = list(names) if names is not None else [n for n in HEADLINE if n in metrics]
    return [(metric_label(n), format_metric(n, metrics.get(n))) for n in wanted if n in metrics]
