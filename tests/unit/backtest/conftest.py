"""Synthetic GBM panels and a tiny SMA-crossover signal function for the backtest tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def gbm_panels(n_bars: int, n_symbols: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """open/high/low/close wide frames of seeded GBM paths (daily sigma 2%, overnight gaps)."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.02, (n_bars, n_symbols)), axis=0))
    prev = np.vstack([np.full((1, n_symbols), 100.0), close[:-1]])
    open_ = prev * np.exp(rng.normal(0.0, 0.005, (n_bars, n_symbols)))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.005, (n_bars, n_symbols))))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.005, (n_bars, n_symbols))))
    index = pd.date_range("2000-01-03", periods=n_bars, freq="B", tz="UTC")
    columns = [f"S{i}" for i in range(n_symbols)]
    return {name: pd.DataFrame(values, index=index, columns=columns)
            for name, values in (("open", open_), ("high", high), ("low", low), ("close", close))}


def sma_crossover(panels, params):
    """1 when SMA(fast) > SMA(slow) of the close, else 0 (pandas reference implementation)."""
    close = panels["close"]
    fast = close.rolling(params["fast"]).mean()
    slow = close.rolling(params["slow"]).mean()
    return (fast > slow).astype(float)


def ema_crossover(panels, params):
    close = panels["close"]
    fast = close.ewm(span=params["fast"], adjust=False).mean()
    slow = close.ewm(span=params["slow"], adjust=False).mean()
    return (fast > slow).astype(float)


@pytest.fixture(scope="module")
def panels():
    return gbm_panels(600, 4, seed=7)
