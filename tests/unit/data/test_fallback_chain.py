"""FallbackChain: falls through failing providers, records the served source, flags stale data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from errors import DataError, NotFoundError
from quant.data.providers.base import ProviderResult
from quant.data.providers.chain import FallbackChain
from quant.data.providers.synthetic import SyntheticProvider
from tests.unit.data.bars_factory import ohlc_bars

FIXED_NOW = datetime(2024, 2, 1, 12, tzinfo=UTC)


class Failing:
    name = "broken"

    def __init__(self, error: Exception):
        self.error = error
        self.calls = 0

    def available_symbols(self):
        return None

    def fetch(self, symbols, start=None, end=None, timeframe="1d"):
        self.calls += 1
        raise self.error


class Fixed:
    def __init__(self, name: str, frame: pd.DataFrame):
        self.name, self.frame = name, frame

    def available_symbols(self):
        return sorted(self.frame["symbol"].unique())

    def fetch(self, symbols, start=None, end=None, timeframe="1d"):
        return self.frame


def chain(*providers, **kwargs) -> FallbackChain:
    return FallbackChain(list(providers), clock=lambda: FIXED_NOW, **kwargs)


def test_failing_provider_falls_through_and_both_are_recorded():
    broken = Failing(DataError("Yahoo returned no bars for AAA"))
    result = chain(broken, SyntheticProvider(seed=1)).fetch(["AAA"], date(2024, 1, 2), date(2024, 1, 31))
    assert isinstance(result, ProviderResult)
    assert result.source == "synthetic" and broken.calls == 1
    assert [(f.provider, f.code) for f in result.failures] == [("broken", "data_error")]
    assert "no bars for AAA" in result.failures[0].message
    assert result.fetched_at == FIXED_NOW and not result.stale
    assert result.to_dict()["failures"][0]["provider"] == "broken"


def test_first_working_provider_serves_and_later_ones_are_not_called():
    later = Failing(DataError("should not be called"))
    result = chain(Fixed("first", ohlc_bars("AAA")), later).fetch(["AAA"], end=date(2024, 1, 8))
    assert result.source == "first" and later.calls == 0 and result.failures == ()


def test_invalid_bars_count_as_a_failure():
    bad = ohlc_bars("AAA")
    bad.loc[2, "high"] = 1.0
    result = chain(Fixed("corrupt", bad), Fixed("clean", ohlc_bars("AAA"))).fetch(["AAA"], end=date(2024, 1, 8))
    assert result.source == "clean"
    assert "high_below_low" in result.failures[0].message


def test_provider_missing_a_requested_symbol_falls_through():
    result = chain(Fixed("partial", ohlc_bars("AAA")), SyntheticProvider()).fetch(
        ["AAA", "BBB"], date(2024, 1, 2), date(2024, 1, 8))
    assert result.source == "synthetic" and "BBB" in result.failures[0].message


def test_all_failing_raises_data_error_listing_every_failure():
    with pytest.raises(DataError) as caught:
        chain(Failing(DataError("down")), Failing(NotFoundError("no such symbol"))).fetch(["AAA"])
    assert [f["message"] for f in caught.value.details["failures"]] == ["down", "no such symbol"]


def test_last_bar_more_than_the_allowed_sessions_before_end_is_stale():
    bars = ohlc_bars("AAA", start="2024-01-02", n=5)  # last bar Mon 2024-01-08
    # sessions after Jan 8 up to Jan 12: 9, 10, 11, 12 -> 4 sessions late
    result = chain(Fixed("old", bars), stale_after_days=3).fetch(["AAA"], end=date(2024, 1, 12))
    assert result.stale and any("stale" in w for w in result.warnings)
    fresh = chain(Fixed("old", bars), stale_after_days=4).fetch(["AAA"], end=date(2024, 1, 12))
    assert not fresh.stale


def test_without_end_staleness_is_measured_against_as_of():
    bars = ohlc_bars("AAA", start="2024-01-02", n=5)
    result = chain(Fixed("old", bars), stale_after_days=3).fetch(["AAA"], as_of=date(2024, 1, 9))
    assert not result.stale and result.last_bar_at == pd.Timestamp("2024-01-08", tz="UTC")
    assert chain(Fixed("old", bars), stale_after_days=3).fetch(["AAA"]).stale  # vs FIXED_NOW


def test_empty_chain_is_refused():
    with pytest.raises(DataError):
        FallbackChain([])
