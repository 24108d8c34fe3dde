"""The offline default: real prices shipped in skfolio and arch."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500
from skfolio.datasets import load_sp500_dataset

from errors import ConfigError, NotFoundError
from quant.data.calendar import trading_sessions
from quant.data.providers.bundled import FACTOR_ETFS, SP500_STOCKS, BundledProvider
from quant.data.schema import BAR_COLUMNS
from quant.data.validation import validate_bars


@pytest.fixture(scope="module")
def provider() -> BundledProvider:
    return BundledProvider()


def test_twenty_stocks_are_closes_only_from_1990_to_2022(provider):
    frame = provider.fetch(list(SP500_STOCKS))
    assert list(frame.columns) == list(BAR_COLUMNS)
    assert sorted(frame["symbol"].unique()) == sorted(SP500_STOCKS) and len(SP500_STOCKS) == 20
    spans = frame.groupby("symbol")["ts"].agg(["min", "max", "count"])
    assert (spans["min"] == pd.Timestamp("1990-01-02", tz="UTC")).all()
    assert (spans["max"] == pd.Timestamp("2022-12-28", tz="UTC")).all()
    assert (spans["count"] == 8313).all()
    assert frame[["open", "high", "low", "volume"]].isna().all().all()


def test_closes_equal_the_skfolio_source(provider):
    source = load_sp500_dataset()
    aapl = provider.fetch(["aapl"]).set_index("ts")["close"]
    np.testing.assert_array_equal(aapl.to_numpy(), source["AAPL"].to_numpy())


def test_gspc_has_consistent_ohlcv_from_yahoo_close_not_adjusted_close(provider):
    gspc = provider.fetch(["GSPC"])
    raw = sp500.load()
    assert len(gspc) == len(raw) == 5031
    assert gspc["ts"].iloc[0] == pd.Timestamp("1999-01-04", tz="UTC")
    assert gspc["ts"].iloc[-1] == pd.Timestamp("2018-12-31", tz="UTC")
    np.testing.assert_array_equal(gspc["close"].to_numpy(), raw["Close"].to_numpy())
    assert (gspc["low"] <= gspc[["open", "close"]].min(axis=1)).all()
    assert (gspc["high"] >= gspc[["open", "close"]].max(axis=1)).all()
    assert (gspc["volume"] > 0).all()


def test_every_bundled_series_passes_validation_on_the_xnys_calendar(provider):
    frame = provider.fetch(provider.available_symbols())
    report = validate_bars(frame)
    assert report.ok, [i.describe() for i in report.errors[:5]]
    assert {i.rule for i in report.warnings} <= {"suspicious_jump"}  # no session gaps


def test_index_and_factor_symbols_are_served(provider):
    frame = provider.fetch(["SP500", "IXIC", *FACTOR_ETFS], start=date(2015, 1, 2), end=date(2015, 1, 9))
    counts = frame.groupby("symbol").size()
    assert set(counts.index) == {"SP500", "IXIC", *FACTOR_ETFS}
    assert (counts == len(trading_sessions("2015-01-02", "2015-01-09"))).all()
    assert frame["ts"].min() == pd.Timestamp("2015-01-02", tz="UTC")
    assert frame["ts"].max() == pd.Timestamp("2015-01-09", tz="UTC")


def test_unknown_symbol_is_not_found_and_lists_available_symbols(provider):
    with pytest.raises(NotFoundError) as caught:
        provider.fetch(["AAPL", "ZZZZ"])
    assert "ZZZZ" in str(caught.value) and "MSFT" in str(caught.value)
    assert caught.value.details["symbols"] == ["ZZZZ"]


def test_start_after_end_is_a_config_error(provider):
    with pytest.raises(ConfigError, match="after"):
        provider.fetch(["AAPL"], start=date(2020, 1, 10), end=date(2020, 1, 1))


def test_intraday_timeframe_is_refused(provider):
    with pytest.raises(ConfigError, match="1h"):
        provider.fetch(["AAPL"], timeframe="1h")
