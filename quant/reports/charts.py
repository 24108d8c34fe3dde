"""Plotly figures of a backtest report: each function takes plain data and returns a Figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from quant.reports.inputs import drawdown_pct, monthly_returns_pct

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_TRADE_SYMBOLS = 6
_LAYOUT = {"template": "plotly_white", "margin": {"l": 50, "r": 20, "t": 40, "b": 40}, "height": 360}


def _figure(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, **_LAYOUT)
    return fig


def equity_chart(equity: pd.Series) -> go.Figure:
    fig = _figure("Equity")
    fig.add_trace(go.Scatter(x=equity.index, y=equity.to_numpy(), mode="lines", name="equity"))
    return fig


def drawdown_chart(equity: pd.Series) -> go.Figure:
    fig = _figure("Drawdown (%)")
    dd = drawdown_pct(equity)
    fig.add_trace(go.Scatter(x=dd.index, y=dd.to_numpy(), mode="lines", fill="tozeroy", name="drawdown %",
                             line={"color": "#c0392b"}))  # fmt: skip
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
            close = prices[symbol].dropna()
            fig.add_trace(go.Scatter(x=close.index, y=close.to_numpy(), mode="lines", name="close",
                                     line={"color": "#7f8c8d"}))  # fmt: skip
        fig.add_trace(go.Scatter(x=own["entry_ts"], y=own["entry_price"], mode="markers", name="entry",
                                 marker={"symbol": "triangle-up", "size": 9, "color": "#27ae60"}))  # fmt: skip
        fig.add_trace(go.Scatter(x=own["exit_ts"], y=own["exit_price"], mode="markers", name="exit",
                                 marker={"symbol": "triangle-down", "size": 9, "color": "#c0392b"}))  # fmt: skip
        charts.append((str(symbol), fig))
    return charts


def montecarlo_fan_chart(monte_carlo: Mapping) -> go.Figure:
    """Percentile bands 5-95 and 25-75 with the median of simulated equity paths."""
    fan = monte_carlo["fan"]
    steps = fan["step"]
    unit = "trade" if monte_carlo.get("method") == "trades" else "day"
    fig = _figure(f"Monte Carlo ({monte_carlo.get('n_paths')} paths, bootstrap of {monte_carlo.get('method')})")
    for low, high, color in (("p5", "p95", "rgba(52,152,219,0.18)"), ("p25", "p75", "rgba(52,152,219,0.35)")):
        fig.add_trace(go.Scatter(x=steps, y=fan[high], mode="lines", line={"width": 0}, showlegend=False))
        fig.add_trace(go.Scatter(x=steps, y=fan[low], mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=color, name=f"{low[1:]}-{high[1:]}th pct"))  # fmt: skip
    fig.add_trace(go.Scatter(x=steps, y=fan["p50"], mode="lines", name="median", line={"color": "#2c3e50"}))
    fig.update_xaxes(title=f"{unit}s")
    return fig


def weights_chart(weights: Mapping[str, float]) -> go.Figure:
    ordered = sorted(weights.items(), key=lambda kv: kv[1], reverse=True)
    fig = _figure("Optimised weights (%)")
    fig.add_trace(go.Bar(x=[k for k, _ in ordered], y=[100.0 * v for _, v in ordered], name="weight %"))
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
