"""Plotly figures of a backtest report: each function takes plain data and returns a ``Figure``.

A ``Figure`` is plotly's figure as plain data (``{"data": [traces], "layout": {...}}``), rendered by
``plotly.io.to_html(..., validate=False)``: building ``plotly.graph_objects`` instead validates every
property through plotly's lazily loaded validator classes, which cost a walk-forward report ~1 s and
~30 MB for nothing (these figures are fixed by this module).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import pandas as pd

from quant.reports.inputs import drawdown_pct, monthly_returns_pct

Figure = dict[str, Any]
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_TRADE_SYMBOLS = 6
_LAYOUT = {"margin": {"l": 50, "r": 20, "t": 40, "b": 40}, "height": 360}


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    """The ``plotly_white`` template as plain data (a named template would need validating)."""
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()


def _figure(title: str, traces: Sequence[Mapping[str, Any]], **layout: Any) -> Figure:
    return {"data": [dict(t) for t in traces],
            "layout": {"title": {"text": title}, "template": _template(), **_LAYOUT, **layout}}


def _axis(title: str) -> dict[str, Any]:
    return {"title": {"text": title}}


def equity_chart(equity: pd.Series) -> Figure:
    return _figure("Equity", [{"type": "scatter", "x": equity.index, "y": equity.to_numpy(), "mode": "lines",
                               "name": "equity"}])


def drawdown_chart(equity: pd.Series) -> Figure:
    dd = drawdown_pct(equity)
    return _figure("Drawdown (%)", [{"type": "scatter", "x": dd.index, "y": dd.to_numpy(), "mode": "lines",
                                     "fill": "tozeroy", "name": "drawdown %", "line": {"color": "#c0392b"}}])


def monthly_heatmap(equity: pd.Series) -> Figure:
    table = monthly_returns_pct(equity)
    heatmap = {"type": "heatmap", "z": table.to_numpy(), "x": list(MONTH_NAMES), "y": [str(y) for y in table.index],
               "colorscale": "RdYlGn", "zmid": 0.0, "texttemplate": "%{z:.1f}", "hoverongaps": False}
    return _figure("Monthly returns (%)", [heatmap], height=max(240, 28 * len(table) + 120))


def trades_on_price_charts(trades: pd.DataFrame, prices: pd.DataFrame | None) -> list[tuple[str, Figure]]:
    """One figure per traded symbol (the ``MAX_TRADE_SYMBOLS`` most traded): closes, entries, exits."""
    symbols = trades["symbol"].value_counts().index[:MAX_TRADE_SYMBOLS]
    charts = []
    for symbol in sorted(symbols):
        own = trades[trades["symbol"] == symbol]
        traces = []
        if prices is not None and symbol in prices.columns:
            close = prices[symbol].dropna()
            traces.append({"type": "scatter", "x": close.index, "y": close.to_numpy(), "mode": "lines",
                           "name": "close", "line": {"color": "#7f8c8d"}})
        traces.append({"type": "scatter", "x": own["entry_ts"], "y": own["entry_price"], "mode": "markers",
                       "name": "entry", "marker": {"symbol": "triangle-up", "size": 9, "color": "#27ae60"}})
        closed = own[own["exit_ts"].notna()]  # an open trade has no exit to mark (plain data cannot carry NaT)
        traces.append({"type": "scatter", "x": closed["exit_ts"], "y": closed["exit_price"], "mode": "markers",
                       "name": "exit", "marker": {"symbol": "triangle-down", "size": 9, "color": "#c0392b"}})
        charts.append((str(symbol), _figure(f"Trades on {symbol}", traces)))
    return charts


def montecarlo_fan_chart(monte_carlo: Mapping) -> Figure:
    """Percentile bands 5-95 and 25-75 with the median of simulated equity paths."""
    fan = monte_carlo["fan"]
    steps = fan["step"]
    unit = "trade" if monte_carlo.get("method") == "trades" else "day"
    traces: list[dict[str, Any]] = []
    for low, high, color in (("p5", "p95", "rgba(52,152,219,0.18)"), ("p25", "p75", "rgba(52,152,219,0.35)")):
        traces.append({"type": "scatter", "x": steps, "y": fan[high], "mode": "lines", "line": {"width": 0},
                       "showlegend": False})
        traces.append({"type": "scatter", "x": steps, "y": fan[low], "mode": "lines", "line": {"width": 0},
                       "fill": "tonexty", "fillcolor": color, "name": f"{low[1:]}-{high[1:]}th pct"})
    traces.append({"type": "scatter", "x": steps, "y": fan["p50"], "mode": "lines", "name": "median",
                   "line": {"color": "#2c3e50"}})
    return _figure(f"Monte Carlo ({monte_carlo.get('n_paths')} paths, bootstrap of {monte_carlo.get('method')})",
                   traces, xaxis=_axis(f"{unit}s"))


def weights_chart(weights: Mapping[str, float]) -> Figure:
    ordered = sorted(weights.items(), key=lambda kv: kv[1], reverse=True)
    return _figure("Optimised weights (%)", [{"type": "bar", "x": [k for k, _ in ordered],
                                              "y": [100.0 * v for _, v in ordered], "name": "weight %"}])


def frontier_chart(points: Sequence[Mapping], chosen: Mapping | None = None) -> Figure:
    """Efficient frontier (annual volatility vs expected return, %) with the chosen portfolio marked."""
    traces = [{"type": "scatter", "x": [100 * p["annual_volatility"] for p in points],
               "y": [100 * p["expected_annual_return"] for p in points], "mode": "lines+markers", "name": "frontier"}]
    if chosen is not None:
        traces.append({"type": "scatter", "x": [100 * chosen["annual_volatility"]],
                       "y": [100 * chosen["expected_annual_return"]], "mode": "markers",
                       "marker": {"size": 14, "symbol": "star", "color": "#e67e22"},
                       "name": str(chosen.get("method", "chosen"))})
    return _figure("Efficient frontier", traces, xaxis=_axis("annual volatility (%)"),
                   yaxis=_axis("expected annual return (%)"))
