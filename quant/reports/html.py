"""``render_backtest_report``: one self-contained HTML page (plotly.js inlined, no CDN, no network)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from quant.reports import charts
from quant.reports.inputs import as_plain_dict, check_equity, check_trades

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_STATS = (("final equity", "final_equity"), ("max drawdown %", "max_drawdown_pct"), ("Sharpe", "sharpe"))


def format_value(value) -> str:
    """Numbers to 4 significant decimals, None/NaN as an em dash, everything else via str()."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _html(fig: charts.Figure, div_id: str, *, with_plotlyjs: bool = False) -> Markup:
    import plotly.io as pio

    # div ids are fixed so the same inputs render the same page; plotly.js itself is inlined once; the
    # figures are plain data built by ``charts`` (nothing for plotly to validate)
    return Markup(pio.to_html(fig, full_html=False, include_plotlyjs=with_plotlyjs, div_id=div_id,
                              config={"displaylogo": False}, validate=False))  # fmt: skip


def _fold_rows(folds: Sequence[Mapping]) -> tuple[list[str], list[dict]]:
    keys: list[str] = []
    for fold in folds:
        keys += [k for k in fold.get("metrics", {}) if k not in keys]
    rows = [
        {
            "fold": fold.get("fold", i + 1),
            "oos_start": str(fold.get("oos_start", "")),
            "oos_end": str(fold.get("oos_end", "")),
            "cells": [format_value(fold.get("metrics", {}).get(k)) for k in keys],
        }
        for i, fold in enumerate(folds)
    ]
    return keys, rows


_OVERFITTING_KEYS = ("deflated_sharpe", "oos_deflated_sharpe", "pbo", "n_trials", "n_obs", "n_blocks", "n_splits",
                    "pbo_note")


def render_backtest_report(
    equity: pd.Series,
    metrics: Mapping[str, object],
    *,
    title: str = "Backtest report",
    trades: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    folds: Sequence[Mapping] | None = None,
    overfitting: Mapping | None = None,
    monte_carlo=None,
    optimization=None,
    frontier: Sequence | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The whole report as one HTML string.

    ``equity``: account value (currency) over a DatetimeIndex; ``metrics``: name → value;
    ``trades``: columns entry_ts, exit_ts, symbol, qty, entry_price, exit_price, pnl, fees;
    ``prices``: wide closes (columns = symbols) drawn under the trades; ``folds``: dicts with
    oos_start, oos_end and a ``metrics`` dict; ``overfitting``: a grid's or walk-forward's overfitting
    block (``OverfittingReport.to_dict()``: verdict, deflated_sharpe, pbo, n_trials, …);
    ``monte_carlo``: MonteCarloResult or its dict;
    ``optimization``: OptimizationResult or its dict; ``frontier``: FrontierPoints or dicts.
    """
    equity = check_equity(equity)
    trades = check_trades(trades)
    mc = as_plain_dict(monte_carlo)
    opt = as_plain_dict(optimization)
    points = [as_plain_dict(p) for p in frontier or []]
    fold_keys, fold_rows = _fold_rows(folds or [])
    context = {
        "title": title,
        "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "n_points": len(equity),
        "n_trades": len(trades),
        "metrics": [(str(k), format_value(v)) for k, v in metrics.items()],
        "equity_html": _html(charts.equity_chart(equity), "equity-chart", with_plotlyjs=True),
        "drawdown_html": _html(charts.drawdown_chart(equity), "drawdown-chart"),
        "monthly_html": _html(charts.monthly_heatmap(equity), "monthly-heatmap"),
        "trade_charts": [
            _html(fig, f"trades-{i}") for i, (_, fig) in enumerate(charts.trades_on_price_charts(trades, prices))
        ] if len(trades) else [],  # fmt: skip
        "folds": fold_rows,
        "fold_keys": fold_keys,
        "overfitting_verdict": (overfitting or {}).get("verdict"),
        "overfitting_rows": [(k, format_value(overfitting.get(k))) for k in _OVERFITTING_KEYS if k in overfitting]
        if overfitting else [],
        "montecarlo_html": _html(charts.montecarlo_fan_chart(mc), "montecarlo-fan") if mc else None,
        "montecarlo_rows": [
            (label, [format_value(mc[key][p]) for p in ("p5", "p25", "p50", "p75", "p95")]) for label, key in _STATS
        ] if mc else [],  # fmt: skip
        "weights_html": _html(charts.weights_chart(opt["weights"]), "weights-chart") if opt else None,
        "frontier_html": _html(charts.frontier_chart(points, opt), "frontier-chart") if points else "",
        "optimization_summary": (
            f"{opt['method']} ({opt['covariance']} covariance): expected return "
            f"{100 * opt['expected_annual_return']:.2f} %/yr, volatility {100 * opt['annual_volatility']:.2f} %/yr, "
            f"Sharpe {opt['sharpe']:.2f}"
        ) if opt else "",  # fmt: skip
    }
    return _TEMPLATES.get_template("backtest.html").render(**context)
