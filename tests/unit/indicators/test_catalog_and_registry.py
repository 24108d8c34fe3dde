"""pandas-ta catalog by introspection and the unified indicator registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas_ta as ta
import pytest

from errors import ConfigError, DataError
from quant.indicators import catalog, registry
from tests.unit.indicators.conftest import gbm_ohlc


def long_bars(frame: pd.DataFrame, symbol: str = "AAA") -> pd.DataFrame:
    out = frame.reset_index(names="ts")
    out.insert(0, "symbol", symbol)
    return out


def test_catalog_lists_every_pandas_ta_category_member():
    specs = catalog.list_indicators()
    expected = {name for names in ta.Category.values() for name in names}
    assert {s.name for s in specs} == expected
    assert len(specs) >= 50


def test_catalog_reads_documented_defaults_and_bar_inputs():
    rsi = catalog.get_pandas_ta_spec("rsi")
    assert rsi.category == "momentum" and rsi.inputs == ("close",)
    assert rsi.defaults()["length"] == 14 and rsi.defaults()["mamode"] == "rma"
    atr = catalog.get_pandas_ta_spec("atr")
    assert atr.inputs == ("high", "low", "close")
    assert catalog.get_pandas_ta_spec("bbands").defaults()["length"] == 5
    assert rsi.doc == "Relative Strength Index"


def test_compute_indicator_equals_direct_pandas_ta_call():
    bars = gbm_ohlc(400, seed=3)
    ours = catalog.compute_indicator("cci", long_bars(bars), length=20)
    reference = ta.cci(bars["high"], bars["low"], bars["close"], length=20, talib=False)
    pd.testing.assert_series_equal(ours, reference, check_names=False, check_freq=False)


@pytest.mark.slow
def test_most_indicators_compute_on_ohlcv_bars_without_warnings():
    bars = gbm_ohlc(400, seed=5)
    failures = []
    with _no_warnings():
        for spec in catalog.list_indicators():
            if spec.name in {"long_run", "short_run", "cdl_pattern"}:
                continue
            try:
                result = catalog.compute_indicator(spec.name, bars)
                parts = result if isinstance(result, tuple) else (result,)  # ichimoku: (now, future)
                assert len(parts[0]) == len(bars)
            except DataError:
                failures.append(spec.name)
    assert len(failures) <= 3, failures


class _no_warnings:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_unknown_indicator_is_config_error_with_suggestion():
    with pytest.raises(ConfigError, match="did you mean rsi"):
        catalog.compute_indicator("rsii", gbm_ohlc(50, seed=1))


def test_unknown_parameter_is_config_error_naming_it():
    with pytest.raises(ConfigError, match="lenght") as info:
        catalog.compute_indicator("rsi", gbm_ohlc(50, seed=1), lenght=3)
    assert "length" in info.value.details["allowed"]


def test_high_low_indicator_on_closes_only_bars_is_data_error():
    bars = gbm_ohlc(50, seed=1)
    bars[["open", "high", "low"]] = np.nan
    with pytest.raises(DataError, match="high"):
        catalog.compute_indicator("atr", bars)


def test_two_symbols_in_one_frame_is_data_error():
    frame = pd.concat([long_bars(gbm_ohlc(30, 1), "AAA"), long_bars(gbm_ohlc(30, 2), "BBB")])
    with pytest.raises(DataError, match="one symbol"):
        catalog.compute_indicator("sma", frame)


def test_registry_resolves_core_before_pandas_ta_and_by_explicit_source():
    bars = gbm_ohlc(300, seed=9)
    assert registry.get_indicator("rsi").source == "core"
    assert registry.get_indicator("pandas_ta:rsi").source == "pandas_ta"
    fast = registry.compute("ema", bars, length=20)
    slow = registry.compute("pandas_ta:ema", bars, length=20)
    assert fast.name == slow.name == "EMA_20"
    np.testing.assert_allclose(fast, slow, atol=1e-9, equal_nan=True)
    macd = registry.compute("macd", bars)
    assert list(macd.columns) == list(ta.macd(bars["close"], talib=False).columns)


def test_custom_indicator_registers_lists_and_computes():
    def midrange(frame, length=3):
        """Mid of rolling high and low."""
        return (frame["high"].rolling(length).max() + frame["low"].rolling(length).min()) / 2

    spec = registry.register_indicator("midrange_test", midrange, inputs=("high", "low"), replace=True)
    try:
        assert spec.defaults() == {"length": 3} and spec.doc == "Mid of rolling high and low."
        assert any(s.name == "midrange_test" for s in registry.list_all_indicators("custom"))
        bars = gbm_ohlc(20, seed=4)
        out = registry.compute("midrange_test", bars, length=2)
        assert out.iloc[1] == pytest.approx((bars["high"].iloc[:2].max() + bars["low"].iloc[:2].min()) / 2)
        with pytest.raises(ConfigError):
            registry.compute("midrange_test", bars, window=2)
    finally:
        registry.unregister_indicator("midrange_test")
    with pytest.raises(ConfigError):
        registry.get_indicator("custom:midrange_test")


def test_custom_indicator_may_not_shadow_a_builtin():
    with pytest.raises(ConfigError, match="taken"):
        registry.register_indicator("rsi", lambda frame: frame["close"])
