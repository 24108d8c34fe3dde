"""Plotly figures of a report or a run page: each function takes plain data and returns a Figure.

Long series are thinned to at most ``MAX_POINTS`` points (a chart is narrower than that; drawdowns keep each
block's deepest point) and dates are written without a time, so a figure of 30 years stays a few tens of KB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from quant.display import metric_label
from quant.reports.inputs import drawdown_pct, monthly_returns_pct, thinned

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_TRADE_SYMBOLS = 4
MAX_SLEEVES = 6  # more sleeves than this: only the total is drawn
_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 40, "b": 40}, "height": 360}


def _figure(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, **_LAYOUT)
    return fig


def _days(index: pd.Index) -> list[str]:
    return [ts.strftime("%Y-%m-%d") for ts in pd.DatetimeIndex(index)]


def equity_chart(equity: pd.Series | pd.DataFrame) -> go.Figure:
    """Account value in dollars: a Series, or a frame whose ``total`` column is the account and whose other
    columns are sleeves that add up to it (drawn when there are at most ``MAX_SLEEVES``)."""
    frame = equity.to_frame("equity") if isinstance(equity, pd.Series) else equity
    fig = _figure("Equity (USD)")
    columns = list(frame.columns)
    if len(columns) > MAX_SLEEVES + 1:
        columns = columns[:1]
    for i, column in enumerate(columns):
        line = thinned(frame[column])
        fig.add_trace(go.Scatter(x=_days(line.index), y=line.to_numpy(), mode="lines", name=str(column),
                                 line={"width": 2.5 if i == 0 else 1.2}))  # fmt: skip
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    return fig


def drawdown_chart(equity: pd.Series) -> go.Figure:
    fig = _figure("Drawdown (%)")
    dd = thinned(drawdown_pct(equity), how="min")
    fig.add_trace(go.Scatter(x=_days(dd.index), y=dd.to_numpy(), mode="lines", fill="tozeroy", name="drawdown %",
                             line={"color": "#c0392b"}))  # fmt: skip
    fig.update_yaxes(ticksuffix="%")
    return fig


def monthly_heatmap(equity: pd.Series) -> go.Figure:
    table = monthly_returns_pct(equity)
    fig = _figure("Monthly returns (%)")
    fig.add_trace(
        go.Heatmap(
            z=table.to_numpy(), x=list(MONTH_NAMES), y=[str(y) for y in table.index],
            colorscale="RdYlGn", zmid=0.0, texttemplate="%{z:.1f}", hoverongaps=False,
        )  # fmt: skip
    )
    fig.update_layout(height=max(240, 28 * len(table) + 120))
    return fig


def trades_on_price_charts(trades: pd.DataFrame, prices: pd.DataFrame | None) -> list[tuple[str, go.Figure]]:
    """One figure per traded symbol (the ``MAX_TRADE_SYMBOLS`` most traded): closes, entries, exits."""
    symbols = trades["symbol"].value_counts().index[:MAX_TRADE_SYMBOLS]
    charts = []
    for symbol in sorted(symbols):
        own = trades[trades["symbol"] == symbol]
        fig = _figure(f"Trades on {symbol}")
        if prices is not None and symbol in prices.columns:
            close = thinned(prices[symbol].dropna())
            fig.add_trace(go.Scatter(x=_days(close.index), y=close.to_numpy(), mode="lines", name="close",
                                     line={"color": "#7f8c8d"}))  # fmt: skip
        fig.add_trace(go.Scatter(x=_days(own["entry_ts"]), y=own["entry_price"].to_numpy(), mode="markers",
                                 name="entry", marker={"symbol": "triangle-up", "size": 9, "color": "#27ae60"}))
        closed = own.dropna(subset=["exit_ts"])
        fig.add_trace(go.Scatter(x=_days(closed["exit_ts"]), y=closed["exit_price"].to_numpy(), mode="markers",
                                 name="exit", marker={"symbol": "triangle-down", "size": 9, "color": "#c0392b"}))
        charts.append((str(symbol), fig))
    return charts


def montecarlo_fan_chart(monte_carlo: Mapping) -> go.Figure:
    """Percentile bands 5-95 and 25-75 with the median of simulated equity paths (dollars)."""
    fan = monte_carlo["fan"]
    steps = fan["step"]
    unit = "trade" if monte_carlo.get("method") == "trades" else "day"
    n_paths = monte_carlo.get("n_paths")
    fig = _figure(f"Monte Carlo: {n_paths:,} paths, bootstrap of {monte_carlo.get('method')}"
                  if isinstance(n_paths, int) else "Monte Carlo")
    for low, high, color in (("p5", "p95", "rgba(52,152,219,0.18)"), ("p25", "p75", "rgba(52,152,219,0.35)")):
        fig.add_trace(go.Scatter(x=steps, y=fan[high], mode="lines", line={"width": 0}, showlegend=False,
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=steps, y=fan[low], mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=color, name=f"{low[1:]}–{high[1:]}th percentile"))  # fmt: skip
    fig.add_trace(go.Scatter(x=steps, y=fan["p50"], mode="lines", name="median", line={"color": "#2c3e50"}))
    fig.update_xaxes(title=f"{unit}s")
    fig.update_yaxes(title="equity", tickprefix="$", separatethousands=True)
    return fig


def grid_heatmap(surface: pd.DataFrame, score: str, params: Sequence[str]) -> go.Figure:
    """The objective over the first two parameters (best over any others), or a line over a single parameter.
    ``surface``: one row per parameter set with the parameter columns and ``score``."""
    label = metric_label(score.removeprefix("objective_"))
    if len(params) < 2:
        line = surface.sort_values(params[0])
        fig = _figure(f"{label} by {params[0]}")
        fig.add_trace(go.Scatter(x=line[params[0]].tolist(), y=line[score].to_numpy(), mode="lines+markers",
                                 name=label))
        fig.update_xaxes(title=params[0])
        return fig
    x_name, y_name = params[0], params[1]
    table = surface.pivot_table(index=y_name, columns=x_name, values=score, aggfunc="max")
    z = table.to_numpy()
    fig = _figure(f"{label} by {x_name} and {y_name}" + (" (best over the other parameters)" if len(params) > 2
                                                          else ""))
    fig.add_trace(go.Heatmap(
        z=np.where(np.isfinite(z), np.round(z, 4), np.nan), x=[str(v) for v in table.columns],
        y=[str(v) for v in table.index], colorscale="Viridis", hoverongaps=False,
        texttemplate="%{z:.2f}" if z.size <= 400 else None, colorbar={"title": label},
        hovertemplate=f"{x_name}=%{{x}}<br>{y_name}=%{{y}}<br>{label} %{{z:.3f}}<extra></extra>",
    ))  # fmt: skip
    fig.update_xaxes(title=x_name, type="category")
    fig.update_yaxes(title=y_name, type="category")
    fig.update_layout(height=max(360, 22 * len(table.index) + 140))
    return fig


def weights_chart(weights: Mapping[str, float]) -> go.Figure:
    ordered = sorted(weights.items(), key=lambda kv: kv[1], reverse=True)
    fig = _figure("Optimised weights (%)")
    fig.add_trace(go.Bar(x=[k for k, _ in ordered], y=[100.0 * v for _, v in ordered], name="weight %"))
    fig.update_yaxes(ticksuffix="%")
    return fig


def frontier_chart(points: Sequence[Mapping], chosen: Mapping | None = None) -> go.Figure:
    """Efficient frontier (annual volatility vs expected return, %) with the chosen portfolio marked."""
    fig = _figure("Efficient frontier")
    fig.add_trace(go.Scatter(
        x=[100 * p["annual_volatility"] for p in points], y=[100 * p["expected_annual_return"] for p in points],
        mode="lines+markers", name="frontier",
    ))  # fmt: skip
    if chosen is not None:
        fig.add_trace(go.Scatter(
            x=[100 * chosen["annual_volatility"]], y=[100 * chosen["expected_annual_return"]], mode="markers",
            marker={"size": 14, "symbol": "star", "color": "#e67e22"}, name=str(chosen.get("method", "chosen")),
        ))  # fmt: skip
    fig.update_xaxes(title="annual volatility (%)")
    fig.update_yaxes(title="expected annual return (%)")
    return fig
