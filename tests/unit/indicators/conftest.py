"""Synthetic geometric-Brownian-motion OHLC bars shared by the indicator tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def gbm_ohlc(n: int, seed: int, start_price: float = 100.0) -> pd.DataFrame:
    """OHLCV frame (one symbol) from a GBM close path with 1% daily vol; high >= max(open, close)."""
    rng = np.random.default_rng(seed)
    close = start_price * np.exp(np.cumsum(rng.normal(0.0002, 0.01, n)))
    open_ = np.r_[start_price, close[:-1]] * np.exp(rng.normal(0, 0.002, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.004, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.004, n)))
    volume = rng.integers(1_000, 100_000, n).astype(float)
    index = pd.date_range("2015-01-01", periods=n, freq="D", tz="UTC")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return gbm_ohlc(3000, seed=11)
