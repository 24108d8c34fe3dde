"""Synthetic multi-symbol panels for strategy tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def gbm_panels(n: int, symbols: tuple[str, ...], seed: int) -> dict[str, pd.DataFrame]:
    """open/high/low/close/volume panels (index ts UTC, columns symbols) of GBM paths."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2018-01-01", periods=n, freq="D", tz="UTC")
    drift = rng.normal(0.0, 0.0008, len(symbols))
    close = 50 * np.exp(np.cumsum(rng.normal(drift, 0.015, (n, len(symbols))), axis=0))
    high = close * (1 + np.abs(rng.normal(0, 0.005, close.shape)))
    low = close * (1 - np.abs(rng.normal(0, 0.005, close.shape)))
    frame = lambda a: pd.DataFrame(a, index=index, columns=list(symbols))  # noqa: E731
    return {
        "open": frame(np.vstack([close[:1], close[:-1]])),
        "high": frame(high),
        "low": frame(low),
        "close": frame(close),
        "volume": frame(rng.integers(1_000, 10_000, close.shape).astype(float)),
    }


@pytest.fixture(scope="module")
def panels() -> dict[str, pd.DataFrame]:
    return gbm_panels(600, ("AAA", "BBB", "CCC", "DDD"), seed=21)
