"""The numba fast path equals pandas-ta (pure-pandas path) to 1e-9 on GBM data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas_ta as ta
import pytest

from errors import ConfigError
from quant.indicators import core

TOL = 1e-9


def assert_same(ours, reference) -> None:
    ours = np.asarray(ours, dtype=float)
    reference = np.asarray(reference, dtype=float)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))
    np.testing.assert_allclose(ours, reference, rtol=0, atol=TOL, equal_nan=True)


@pytest.mark.parametrize("length", [2, 10, 50])
def test_sma_equals_pandas_ta(bars, length):
    assert_same(core.sma(bars["close"], length), ta.sma(bars["close"], length, talib=False))


def test_sma_of_length_one_is_the_input(bars):
    # pandas-ta's numba sma returns an empty array for length 1, so compare with the definition
    assert_same(core.sma(bars["close"], 1), bars["close"])


@pytest.mark.parametrize("length", [2, 10, 20, 200])
def test_ema_equals_pandas_ta_sma_seeded(bars, length):
    assert_same(core.ema(bars["close"], length), ta.ema(bars["close"], length, talib=False))


@pytest.mark.parametrize("length", [2, 14, 30])
def test_rsi_equals_pandas_ta_after_warmup_and_is_nan_before(bars, length):
    ours = core.rsi(bars["close"], length)
    reference = ta.rsi(bars["close"], length, talib=False).to_numpy().copy()
    assert ours.iloc[:length].isna().all()
    reference[:length] = np.nan
    assert_same(ours, reference)


def test_macd_lines_equal_pandas_ta(bars):
    ours = core.macd(bars["close"], 12, 26, 9)
    reference = ta.macd(bars["close"], 12, 26, 9, talib=False)
    assert_same(ours.macd, reference["MACD_12_26_9"])
    assert_same(ours.signal, reference["MACDs_12_26_9"])
    assert_same(ours.histogram, reference["MACDh_12_26_9"])
    assert ours.macd.first_valid_index() == bars.index[25]
    assert ours.signal.first_valid_index() == bars.index[33]


@pytest.mark.parametrize("ddof", [0, 1])
def test_bollinger_bands_equal_pandas_ta(bars, ddof):
    ours = core.bollinger_bands(bars["close"], 20, 2.0, ddof=ddof)
    reference = ta.bbands(bars["close"], 20, 2.0, 2.0, ddof=ddof, talib=False)
    suffix = "_20_2.0_2.0"
    for field, column in [("lower", "BBL"), ("mid", "BBM"), ("upper", "BBU"), ("bandwidth", "BBB")]:
        assert_same(getattr(ours, field), reference[column + suffix])
    assert_same(ours.percent, reference["BBP" + suffix])


def test_bollinger_default_ddof_is_population_std(bars):
    window = bars["close"].iloc[:20].to_numpy()
    bands = core.bollinger_bands(bars["close"])
    expected_upper = window.mean() + 2.0 * window.std(ddof=0)
    assert bands.upper.iloc[19] == pytest.approx(expected_upper, abs=TOL)


@pytest.mark.parametrize("length", [1, 14, 30])
def test_atr_equals_pandas_ta(bars, length):
    ours = core.atr(bars["high"], bars["low"], bars["close"], length)
    reference = ta.atr(bars["high"], bars["low"], bars["close"], length, talib=False)
    assert_same(ours, reference)


def test_atr_is_nan_for_closes_only_bars(bars):
    nan = pd.Series(np.nan, index=bars.index)
    assert core.atr(nan, nan, bars["close"], 14).isna().all()


@pytest.mark.parametrize("length", [5, 20, 63])
def test_rolling_volatility_equals_stdev_of_log_returns(bars, length):
    reference = ta.stdev(ta.log_return(bars["close"]), length, talib=False)
    assert_same(core.rolling_volatility(bars["close"], length), reference)


def test_recursive_indicators_carry_over_interior_nans_like_pandas(bars):
    close = bars["close"].copy()
    close.iloc[[500, 501, 900]] = np.nan
    assert_same(core.ema(close, 20), ta.ema(close, 20, talib=False))
    reference_rsi = ta.rsi(close, 14, talib=False).to_numpy().copy()
    reference_rsi[:14] = np.nan
    assert_same(core.rsi(close, 14), reference_rsi)
    assert_same(core.sma(close, 10), ta.sma(close, 10, talib=False))


def test_panel_columns_equal_single_series_even_when_a_symbol_lists_later(bars):
    late = bars["close"].copy()
    late.iloc[:300] = np.nan
    panel = pd.DataFrame({"AAA": bars["close"], "LATE": late})
    alone = core.ema(late.iloc[300:].to_numpy(), 20)
    for fn in (lambda x: core.ema(x, 20), lambda x: core.rsi(x, 14), lambda x: core.rolling_volatility(x)):
        out = fn(panel)
        assert isinstance(out, pd.DataFrame)
        assert_same(out["AAA"], fn(bars["close"]))
        assert out["LATE"].iloc[:300].isna().all()
        assert_same(out["LATE"].iloc[300:], fn(late.iloc[300:]))
    assert_same(core.ema(panel, 20)["LATE"].iloc[300:], alone)


def test_panel_macd_bbands_atr_match_per_column(bars):
    other = bars * 1.7
    close = pd.DataFrame({"A": bars["close"], "B": other["close"]})
    high = pd.DataFrame({"A": bars["high"], "B": other["high"]})
    low = pd.DataFrame({"A": bars["low"], "B": other["low"]})
    for symbol, frame in (("A", bars), ("B", other)):
        assert_same(core.macd(close).signal[symbol], core.macd(frame["close"]).signal)
        assert_same(core.bollinger_bands(close).upper[symbol], core.bollinger_bands(frame["close"]).upper)
        assert_same(core.atr(high, low, close)[symbol], core.atr(frame["high"], frame["low"], frame["close"]))


def test_numpy_input_returns_numpy_output(bars):
    out = core.sma(bars["close"].to_numpy(), 5)
    assert isinstance(out, np.ndarray) and out.shape == (len(bars),)


def test_constant_window_has_zero_band_width():
    bands = core.bollinger_bands(np.full(40, 7.0), 20)
    assert np.all(bands.upper[19:] == 7.0) and np.all(bands.lower[19:] == 7.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: core.sma(x, 0),
        lambda x: core.ema(x, -3),
        lambda x: core.rsi(x, 2.5),
        lambda x: core.macd(x, fast=26, slow=12),
        lambda x: core.bollinger_bands(x, 20, ddof=20),
        lambda x: core.bollinger_bands(x, 20, std_mult=0),
    ],
)
def test_invalid_parameters_raise_config_error(bars, call):
    with pytest.raises(ConfigError):
        call(bars["close"])
