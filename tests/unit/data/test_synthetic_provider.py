"""Seeded GBM bars: deterministic, consistent OHLCV, on the session calendar."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from errors import ConfigError
from quant.data.calendar import trading_sessions
from quant.data.providers.synthetic import (
    MAX_BARS_PER_SYMBOL,
    SyntheticProvider,
    synthetic_bars,
    synthetic_sessions,
)


def test_same_seed_gives_identical_bars_and_other_seed_differs():
    a = SyntheticProvider(seed=7).fetch(["X", "Y"])
    b = SyntheticProvider(seed=7).fetch(["X", "Y"])
    c = SyntheticProvider(seed=8).fetch(["X", "Y"])
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["close"], c["close"])


def test_a_symbol_path_does_not_depend_on_the_other_symbols_requested():
    alone = SyntheticProvider(seed=3).fetch(["X"])
    together = SyntheticProvider(seed=3).fetch(["Z", "X", "A"])
    pd.testing.assert_frame_equal(alone, together[together["symbol"] == "X"].reset_index(drop=True))


def test_ohlcv_is_consistent():
    frame = synthetic_bars(["A", "B"], synthetic_sessions(2_000), seed=1, vol_annual=0.8)
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame[["open", "high", "low", "close"]] > 0).all().all()
    assert (frame["volume"] > 0).all()


def test_bars_sit_on_xnys_sessions_between_start_and_end():
    frame = SyntheticProvider().fetch(["A"], start=date(2024, 3, 1), end=date(2024, 3, 31))
    expected = trading_sessions("2024-03-01", "2024-03-31")
    assert pd.DatetimeIndex(frame["ts"]).equals(expected)


def test_log_returns_match_the_requested_drift_and_volatility():
    frame = synthetic_bars(["A"], synthetic_sessions(40_000), seed=5, drift_annual=0.1, vol_annual=0.3)
    log_returns = np.diff(np.log(frame["close"].to_numpy()))
    assert np.std(log_returns) * np.sqrt(252) == pytest.approx(0.3, rel=0.02)
    # GBM log drift is mu - sigma^2/2 per year; its estimate has std 0.3/sqrt(years) ~ 0.033
    assert np.mean(log_returns) * 252 == pytest.approx(0.1 - 0.045, abs=0.12)


def test_more_bars_than_the_calendar_holds_fall_back_to_business_days():
    sessions = synthetic_sessions(20_000, end=date(2024, 12, 31))
    assert len(sessions) == 20_000 and sessions[-1] == pd.Timestamp("2024-12-31", tz="UTC")
    assert (sessions.dayofweek < 5).all()


def test_too_many_bars_per_symbol_is_a_config_error():
    with pytest.raises(ConfigError, match="n_bars"):
        synthetic_sessions(MAX_BARS_PER_SYMBOL + 1)


def test_million_bars_are_generated_as_one_sorted_frame():
    frame = synthetic_bars([f"S{i:03d}" for i in range(100)], synthetic_sessions(10_000), seed=0)
    assert len(frame) == 1_000_000
    assert frame["symbol"].is_monotonic_increasing
