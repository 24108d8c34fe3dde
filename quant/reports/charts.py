"""Plotly figures of a report or a run page: each function takes plain data and returns a ``Figure``.

A ``Figure`` is plotly's figure as plain data (``{"data": [traces], "layout": {...}}``), rendered by
``plotly.io.to_html(..., validate=False)`` (``to_json`` for a run page): building ``plotly.graph_objects``
instead validates every property through plotly's lazily loaded validator classes, which cost a walk-forward
report about half a second for figures this module fixes itself.

Long series are thinned to at most ``MAX_POINTS`` points (a chart is narrower than that; drawdowns keep each
block's deepest point) and dates are written without a time, so a figure of 30 years stays a few tens of KB.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quant.display import metric_label
from quant.reports.inputs import drawdown_pct, monthly_returns_pct, thinned

Figure = dict[str, Any]
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_TRADE_SYMBOLS = 4
MAX_SLEEVES = 6  # more sleeves than this: only the total is drawn
_LAYOUT = {"margin": {"l": 60, "r": 20, "t": 40, "b": 40}, "height": 360}


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    """plotly's ``plotly_white`` template as plain data, read from the installed package's own copy (plotly.js
    knows no template names, and loading it through ``plotly.io.templates`` would validate it)."""
    import plotly

    path = Path(plotly.__file__).with_name("package_data") / "templates" / "plotly_white.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _figure(title: str, traces: Sequence[Mapping[str, Any]], **layout: Any) -> Figure:
    return {"data": [dict(t) for t in traces],
            "layout": {"title": {"text": title}, "template": _template(), **_LAYOUT, **layout}}


def _axis(title: str | None = None, **options: Any) -> dict[str, Any]:
    return {**({"title": {"text": title}} if title else {}), **options}


def _numbers(values: Any) -> dict[str, str]:
    """``values`` as a plotly.js typed array (little-endian float64, base64): a third the size of the same numbers
    written out in JSON, and what plotly's own figures send for numpy arrays; NaN stays NaN (a gap)."""
    array = np.ascontiguousarray(values, dtype="<f8")
    spec = {"dtype": "f8", "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in array.shape)
    return spec


def _days(index: pd.Index | pd.Series) -> list[str]:
    """Dates as ``YYYY-MM-DD`` (the wall date where the stamps carry a time zone)."""
    days = pd.DatetimeIndex(index)
    if days.tz is not None:
        days = days.tz_localize(None)
    return np.datetime_as_string(days.to_numpy(dtype="datetime64[D]"), unit="D").tolist()


def equity_chart(equity: pd.Series | pd.DataFrame) -> Figure:
    """Account value in dollars: a Series, or a frame whose ``total`` column is the account and whose other
    columns are sleeves that add up to it (drawn when there are at most ``MAX_SLEEVES``)."""
    frame = equity.to_frame("equity") if isinstance(equity, pd.Series) else equity
    columns = list(frame.columns)
    if len(columns) > MAX_SLEEVES + 1:
        columns = columns[:1]
    traces = []
    for i, column in enumerate(columns):
        line = thinned(frame[column])
        traces.append({"type": "scatter", "x": _days(line.index), "y": _numbers(line), "mode": "lines",
                       "name": str(column), "line": {"width": 2.5 if i == 0 else 1.2}})
    return _figure("Equity (USD)", traces, yaxis=_axis(tickprefix="$", separatethousands=True))


def drawdown_chart(equity: pd.Series) -> Figure:
    dd = thinned(drawdown_pct(equity), how="min")
    return _figure("Drawdown (%)", [{"type": "scatter", "x": _days(dd.index), "y": _numbers(dd), "mode": "lines",
                                     "fill": "tozeroy", "name": "drawdown %", "line": {"color": "#c0392b"}}],
                   yaxis=_axis(ticksuffix="%"))


def monthly_heatmap(equity: pd.Series) -> Figure:
    table = monthly_returns_pct(equity)
    heatmap = {"type": "heatmap", "z": _numbers(table), "x": list(MONTH_NAMES), "y": [str(y) for y in table.index],
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
            close = thinned(prices[symbol].dropna())
            traces.append({"type": "scatter", "x": _days(close.index), "y": _numbers(close), "mode": "lines",
                           "name": "close", "line": {"color": "#7f8c8d"}})
        traces.append({"type": "scatter", "x": _days(own["entry_ts"]), "y": _numbers(own["entry_price"]),
                       "mode": "markers", "name": "entry",
                       "marker": {"symbol": "triangle-up", "size": 9, "color": "#27ae60"}})
        closed = own.dropna(subset=["exit_ts"])  # an open trade has no exit to mark
        traces.append({"type": "scatter", "x": _days(closed["exit_ts"]), "y": _numbers(closed["exit_price"]),
                       "mode": "markers", "name": "exit",
                       "marker": {"symbol": "triangle-down", "size": 9, "color": "#c0392b"}})
        charts.append((str(symbol), _figure(f"Trades on {symbol}", traces)))
    return charts


def montecarlo_fan_chart(monte_carlo: Mapping) -> Figure:
    """Percentile bands 5-95 and 25-75 with the median of simulated equity paths (dollars)."""
    fan = monte_carlo["fan"]
    steps = fan["step"]
    unit = "trade" if monte_carlo.get("method") == "trades" else "day"
    n_paths = monte_carlo.get("n_paths")
    traces: list[dict[str, Any]] = []
    for low, high, color in (("p5", "p95", "rgba(52,152,219,0.18)"), ("p25", "p75", "rgba(52,152,219,0.35)")):
        traces.append({"type": "scatter", "x": steps, "y": fan[high], "mode": "lines", "line": {"width": 0},
                       "showlegend": False, "hoverinfo": "skip"})
        traces.append({"type": "scatter", "x": steps, "y": fan[low], "mode": "lines", "line": {"width": 0},
                       "fill": "tonexty", "fillcolor": color, "name": f"{low[1:]}–{high[1:]}th percentile"})
    traces.append({"type": "scatter", "x": steps, "y": fan["p50"], "mode": "lines", "name": "median",
                   "line": {"color": "#2c3e50"}})
    title = (f"Monte Carlo: {n_paths:,} paths, bootstrap of {monte_carlo.get('method')}"
             if isinstance(n_paths, int) else "Monte Carlo")
    return _figure(title, traces, xaxis=_axis(f"{unit}s"),
                   yaxis=_axis("equity", tickprefix="$", separatethousands=True))


def grid_heatmap(surface: pd.DataFrame, score: str, params: Sequence[str]) -> Figure:
    """The objective over the first two parameters (best over any others), or a line over a single parameter.
    ``surface``: one row per parameter set with the parameter columns and ``score``."""
    label = metric_label(score.removeprefix("objective_"))
    if len(params) < 2:
        line = surface.sort_values(params[0])
        return _figure(f"{label} by {params[0]}", [{"type": "scatter", "x": line[params[0]].tolist(),
                                                    "y": _numbers(line[score]), "mode": "lines+markers",
                                                    "name": label}], xaxis=_axis(params[0]))
    x_name, y_name = params[0], params[1]
    table = surface.pivot_table(index=y_name, columns=x_name, values=score, aggfunc="max")
    z = table.to_numpy()
    heatmap = {
        "type": "heatmap", "z": _numbers(np.where(np.isfinite(z), np.round(z, 4), np.nan)),
        "x": [str(v) for v in table.columns], "y": [str(v) for v in table.index], "colorscale": "Viridis",
        "hoverongaps": False,
        "colorbar": {"title": {"text": label}},
        "hovertemplate": f"{x_name}=%{{x}}<br>{y_name}=%{{y}}<br>{label} %{{z:.3f}}<extra></extra>",
        **({"texttemplate": "%{z:.2f}"} if z.size <= 400 else {}),
    }  # fmt: skip
    title = f"{label} by {x_name} and {y_name}" + (" (best over the other parameters)" if len(params) > 2 else "")
    return _figure(title, [heatmap], xaxis=_axis(x_name, type="category"), yaxis=_axis(y_name, type="category"),
                   height=max(360, 22 * len(table.index) + 140))


def weights_chart(weights: Mapping[str, float]) -> Figure:
    ordered = sorted(weights.items(), key=lambda kv: kv[1], reverse=True)
    return _figure("Optimised weights (%)", [{"type": "bar", "x": [k for k, _ in ordered],
                                              "y": [100.0 * v for _, v in ordered], "name": "weight %"}],
                   yaxis=_axis(ticksuffix="%"))


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
