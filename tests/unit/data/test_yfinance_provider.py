"""Yahoo via yfinance: yfinance's own parser over recorded chart-API payloads; retries; rate limit."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from errors import DataError
from quant.data.providers.yfinance_provider import TransientFetchError, YFinanceProvider, chart_params, parse_chart
from quant.data.validation import validate_bars
from tests.unit.data.conftest import RecordedChartTransport, yahoo_cassette

START, END = date(2024, 1, 2), date(2024, 1, 8)
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def recorded(symbol: str, suffix: str = "") -> dict:
    path = yahoo_cassette(symbol, chart_params(START, END, NOW), suffix)
    return json.loads(path.read_text())["response"]


def provider(transport, **kwargs) -> YFinanceProvider:
    sleeps: list[float] = []
    made = YFinanceProvider(transport=transport, sleep=sleeps.append, clock=lambda: 0.0, now=lambda: NOW, **kwargs)
    made.sleeps = sleeps  # type: ignore[attr-defined]
    return made


def test_cassette_aapl_bars_are_adjusted_session_bars(recorded_yahoo):
    frame = provider(recorded_yahoo).fetch(["aapl"], START, END)
    quote = recorded("AAPL")["chart"]["result"][0]["indicators"]
    raw, adj = quote["quote"][0], np.array(quote["adjclose"][0]["adjclose"])
    ratio = adj / np.array(raw["close"])
    assert frame["symbol"].unique().tolist() == ["AAPL"]
    assert frame["ts"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-02", "2024-01-03", "2024-01-04",
                                                            "2024-01-05", "2024-01-08"]
    np.testing.assert_allclose(frame["close"], adj)
    np.testing.assert_allclose(frame["open"], np.array(raw["open"]) * ratio)
    np.testing.assert_allclose(frame["low"], np.array(raw["low"]) * ratio)
    np.testing.assert_array_equal(frame["volume"], raw["volume"])
    assert validate_bars(frame).ok
    assert recorded_yahoo.requests[0][0] == "AAPL"


def test_cassette_unadjusted_uses_yahoo_close(recorded_yahoo):
    frame = provider(recorded_yahoo, adjust=False).fetch(["AAPL"], START, END)
    raw = recorded("AAPL")["chart"]["result"][0]["indicators"]["quote"][0]
    np.testing.assert_allclose(frame["close"], raw["close"])
    np.testing.assert_allclose(frame["high"], raw["high"])


def test_bars_are_clipped_to_the_requested_dates():
    frame = parse_chart(recorded("AAPL"), "AAPL")
    assert len(frame) == 5
    clipped = provider(RecordedChartTransport()).fetch(["AAPL"], START, END)
    assert clipped["ts"].min() >= pd.Timestamp(START, tz="UTC")


def test_cassette_unknown_symbol_raises_data_error_with_yahoo_reason():
    with pytest.raises(DataError) as caught:
        provider(RecordedChartTransport(suffix="_error")).fetch(["NOSUCHTICKER"], START, END)
    assert "NOSUCHTICKER" in str(caught.value) and "delisted" in str(caught.value)
    assert caught.value.details["symbol"] == "NOSUCHTICKER"


def test_cassette_empty_result_raises_data_error_naming_symbol():
    with pytest.raises(DataError, match="no bars for DELISTED"):
        provider(RecordedChartTransport(suffix="_empty")).fetch(["DELISTED"], START, END)


class FlakyTransport:
    """Fails with the given exceptions first, then serves the recorded AAPL payload."""

    def __init__(self, *failures: Exception):
        self.failures = list(failures)
        self.calls = 0

    def get_chart(self, symbol, params, timeout_s):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return recorded("AAPL")


def test_transient_failures_are_retried_with_exponential_backoff():
    transport = FlakyTransport(TransientFetchError("HTTP 503"), TransientFetchError("timeout"))
    made = provider(transport, attempts=3, backoff_s=1.0, min_interval_s=0.0)
    frame = made.fetch(["AAPL"], START, END)
    assert transport.calls == 3 and len(frame) == 5
    assert made.sleeps == [1.0, 2.0]


def test_retries_give_up_with_a_data_error_naming_the_symbol():
    transport = FlakyTransport(*[TransientFetchError("HTTP 429")] * 3)
    with pytest.raises(DataError, match="AAPL after 3 attempts"):
        provider(transport, attempts=3, min_interval_s=0.0).fetch(["AAPL"], START, END)
    assert transport.calls == 3


def test_permanent_failures_are_not_retried():
    transport = FlakyTransport(DataError("non-JSON answer"))
    with pytest.raises(DataError, match="non-JSON"):
        provider(transport, attempts=3).fetch(["AAPL"], START, END)
    assert transport.calls == 1


def test_requests_are_spaced_by_the_rate_limit():
    transport = FlakyTransport()
    made = provider(transport, min_interval_s=0.5)
    made.fetch(["AAPL", "AAPL2"], START, END)  # clock never advances, so the second call waits
    assert transport.calls == 2 and made.sleeps == [0.5]
