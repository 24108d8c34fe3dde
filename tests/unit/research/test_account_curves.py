"""A run's account and its sleeves: the per-symbol curves drawn beside the total add up to it at every bar, on
the web page and in the report (the bug: a sleeve drawn at $1.5 M beside a $380 k total P&L)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quant.reports.charts import equity_chart
from services.research.curves import account_curves, combined_equity


@pytest.fixture()
def per_symbol_accounts() -> pd.DataFrame:
    """Two symbols, each traded in an account of the full starting capital ($100,000), as the engines store them."""
    days = pd.date_range("2015-01-02", periods=3000, freq="B", tz="UTC")
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0005, 0.01, size=(len(days), 2))
    returns[0] = 0.0  # the first bar is the starting capital
    growth = np.cumprod(1 + returns, axis=0)
    return pd.DataFrame(100_000 * growth, index=days, columns=["AAPL", "MSFT"])


def test_the_sleeves_add_up_to_the_account_at_every_bar(per_symbol_accounts):
    curves = account_curves(per_symbol_accounts)

    assert list(curves.columns) == ["total", "AAPL", "MSFT"]
    assert curves[["AAPL", "MSFT"]].sum(axis=1).to_numpy() == pytest.approx(curves["total"].to_numpy())
    assert curves["total"].iloc[0] == pytest.approx(100_000)  # the starting capital, split between the sleeves
    assert combined_equity(per_symbol_accounts).equals(curves["total"].rename("equity"))


def test_the_equity_chart_draws_sleeves_that_add_up_to_the_total_it_draws(per_symbol_accounts):
    figure = equity_chart(account_curves(per_symbol_accounts))

    traces = {trace["name"]: _numbers(trace["y"]) for trace in figure["data"]}
    assert set(traces) == {"total", "AAPL", "MSFT"} and len(traces["total"]) < len(per_symbol_accounts)  # thinned
    assert traces["AAPL"] + traces["MSFT"] == pytest.approx(traces["total"])


def _numbers(spec) -> np.ndarray:
    """A trace's numbers as the chart sends them (a plotly.js typed array: base64 little-endian float64)."""
    import base64

    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f8")
