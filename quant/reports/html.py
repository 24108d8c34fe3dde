"""``render_backtest_report``: one HTML page per run that opens offline. Charts load ``plotly.min.js`` from the
report's own directory (``plotly_bundle``); every number is written by ``quant.display``, so a metric reads the
same here as in the CLI, chat and web page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from quant import display
from quant.reports import charts
from quant.reports.inputs import as_plain_dict, check_equity, check_trades
from quant.reports.plotly_bundle import SCRIPT_TAG

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_MONTE_CARLO = (("final equity", "final_equity", display.money), ("max drawdown", "max_drawdown_pct",
                display.percent_points), ("Sharpe", "sharpe", display.number))
_FOLD_COLUMNS = ("total_return", "sharpe", "max_drawdown", "win_rate", "profit_factor")
_OVERFITTING_KEYS = ("deflated_sharpe", "oos_deflated_sharpe", "pbo", "n_trials", "n_obs", "n_splits")
_TOP_SETS = 10


def _html(fig: charts.Figure, div_id: str) -> Markup:
    import plotly.io as pio

    # div ids are fixed so the same inputs render the same page; plotly.js itself is loaded once per page; the
    # figures are plain data built by ``charts`` (nothing for plotly to validate)
    return Markup(pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                              config={"displaylogo": False, "responsive": True}, validate=False))  # fmt: skip


def _metric_rows(metrics: Mapping[str, object]) -> list[tuple[str, str]]:
    return [(display.metric_label(str(k)), display.format_metric(str(k), v)) for k, v in metrics.items()]


def _fold_rows(folds: Sequence[Mapping]) -> list[dict]:
    rows = []
    for i, fold in enumerate(folds):
        metrics = fold.get("metrics") or {}
        trades = fold.get("trades", metrics.get("trades", metrics.get("trade_count")))
        rows.append({"fold": fold.get("fold", i + 1), "oos": f"{display.day(fold.get('oos_start'))} to "
                                                             f"{display.day(fold.get('oos_end'))}",
                     "params": display.params_text(fold.get("params")), "trades": display.count(trades),
                     "cells": [display.format_metric(k, metrics.get(k)) for k in _FOLD_COLUMNS]})
    return rows


def _grid_context(surface: pd.DataFrame | None, params: Sequence[str]) -> dict:
    if surface is None or surface.empty or not params:
        return {"grid_html": None, "grid_rows": [], "grid_score": ""}
    score = next(c for c in surface.columns if c.startswith("objective_"))
    name = score.removeprefix("objective_")
    best = surface.sort_values(score, ascending=False, na_position="last").head(_TOP_SETS)
    rows = [(display.params_text({p: row[p] for p in params}), display.format_metric(name, row[score]),
             display.format_metric("total_return", row.get("total_return")),
             display.format_metric("max_drawdown", row.get("max_drawdown")), display.count(row.get("trades")))
            for _, row in best.iterrows()]
    return {"grid_html": _html(charts.grid_heatmap(surface, score, list(params)), "grid-heatmap"),
            "grid_rows": rows, "grid_score": display.metric_label(name)}


def render_backtest_report(
    equity: pd.Series | None,
    metrics: Mapping[str, object],
    *,
    title: str = "Backtest report",
    trades: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    sleeves: pd.DataFrame | None = None,
    costs: Mapping[str, object] | None = None,
    folds: Sequence[Mapping] | None = None,
    overfitting: Mapping | None = None,
    surface: pd.DataFrame | None = None,
    surface_params: Sequence[str] = (),
    monte_carlo=None,
    optimization=None,
    allocation: Mapping | None = None,
    frontier: Sequence | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The whole report as one HTML string (it expects ``plotly.min.js`` beside it: ``write_report`` puts it there).

    ``equity``: account value (dollars) over a DatetimeIndex, or None for a run without one (a grid);
    ``sleeves``: ``total`` plus per-symbol sleeves that add up to it (drawn instead of the bare equity);
    ``metrics``: name → value (labels and units from ``quant.display``); ``trades``: columns entry_ts, exit_ts,
    symbol, qty, entry_price, exit_price, pnl, fees; ``prices``: wide closes drawn under the trades; ``costs``:
    the run's backtest config (capital, commissions, slippage); ``folds``: walk-forward folds (oos_start,
    oos_end, params, trades, ``metrics``); ``overfitting``: a grid's or walk-forward's overfitting block;
    ``surface``: a grid's table (``surface_params`` columns and an ``objective_*`` score) drawn as a heatmap;
    ``monte_carlo``: MonteCarloResult or its dict; ``optimization``: OptimizationResult or its dict, with its
    whole-share ``allocation``; ``frontier``: FrontierPoints or dicts.
    """
    series = check_equity(equity) if equity is not None else None
    traded = trades is not None  # a Monte Carlo's or optimisation's report draws a curve but lists no trades
    trades = check_trades(trades)
    mc = as_plain_dict(monte_carlo)
    opt = as_plain_dict(optimization)
    points = [as_plain_dict(p) for p in frontier or []]
    block = dict(overfitting or {})
    context = {
        "title": title,
        "plotly_tag": Markup(SCRIPT_TAG),
        "generated_at": display.timestamp(generated_at or datetime.now(UTC)),
        "period": f"{display.day(series.index[0])} to {display.day(series.index[-1])}" if series is not None else "",
        "n_trades": display.counted(len(trades), "trade") if series is not None and traded else "",
        "costs": display.cost_summary(costs or {}),
        "metrics": _metric_rows(metrics),
        "equity_html": _html(charts.equity_chart(sleeves if sleeves is not None else series), "equity-chart")
        if series is not None else None,
        "drawdown_html": _html(charts.drawdown_chart(series), "drawdown-chart") if series is not None else None,
        "monthly_html": _html(charts.monthly_heatmap(series), "monthly-heatmap") if series is not None else None,
        "trade_charts": [
            _html(fig, f"trades-{i}") for i, (_, fig) in enumerate(charts.trades_on_price_charts(trades, prices))
        ] if len(trades) else [],  # fmt: skip
        "folds": _fold_rows(folds or []),
        "fold_columns": [display.metric_label(k) for k in _FOLD_COLUMNS],
        **_grid_context(surface, surface_params),
        "overfitting_headline": display.overfitting_headline(block) if block else None,
        "overfitting_conclusion": block.get("conclusion") or display.overfitting_conclusion(block) if block else "",
        "overfitting_rows": _metric_rows({k: block[k] for k in _OVERFITTING_KEYS if block.get(k) is not None}),
        "montecarlo_html": _html(charts.montecarlo_fan_chart(mc), "montecarlo-fan") if mc else None,
        "montecarlo_rows": [(label, [write(mc[key][p]) for p in ("p5", "p25", "p50", "p75", "p95")])
                            for label, key, write in _MONTE_CARLO] if mc else [],
        "montecarlo_loss": display.percent(mc.get("probability_of_loss"), 1) if mc else "",
        "weights_html": _html(charts.weights_chart(opt["weights"]), "weights-chart") if opt else None,
        "frontier_html": _html(charts.frontier_chart(points, opt), "frontier-chart") if points else "",
        "optimization_summary": (
            f"{opt['method']} ({opt['covariance']} covariance): expected return "
            f"{display.percent(opt['expected_annual_return'])} a year, volatility "
            f"{display.percent(opt['annual_volatility'])} a year, Sharpe {display.number(opt['sharpe'])}"
        ) if opt else "",  # fmt: skip
        "allocation_rows": [(symbol, display.count(n)) for symbol, n in (allocation or {}).get("shares", {}).items()],
        "allocation_note": (f"{display.money(allocation['invested_value'])} invested of "
                            f"{display.money(allocation['total_value'])}, "
                            f"{display.money(allocation['leftover_cash'])} left in cash") if allocation else "",
    }
    return _TEMPLATES.get_template("backtest.html").render(**context)
