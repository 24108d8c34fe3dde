"""Alpaca via alpaca-py over vcrpy cassettes in the documented /v2/stocks/bars format."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from errors import ConfigError, DataError
from quant.data.providers.alpaca_provider import AlpacaProvider
from quant.data.validation import validate_bars
from tests.unit.data.conftest import CASSETTES, alpaca_vcr

START, END = date(2024, 1, 2), date(2024, 1, 5)
OK_CASSETTE = "bars_AAPL_MSFT_2024-01-02_2024-01-05.yaml"


def recorded_body(name: str) -> dict:
    cassette = yaml.safe_load(Path(CASSETTES / "alpaca" / name).read_text())
    return json.loads(cassette["interactions"][-1]["response"]["body"]["string"])


def make(keys, **kwargs) -> AlpacaProvider:
    sleeps: list[float] = []
    made = AlpacaProvider(*keys, sleep=sleeps.append, **kwargs)
    made.sleeps = sleeps  # type: ignore[attr-defined]
    return made


def test_cassette_bars_for_two_symbols_are_parsed_to_session_dates(alpaca_keys):
    with alpaca_vcr().use_cassette(OK_CASSETTE) as cassette:
        frame = make(alpaca_keys).fetch(["AAPL", "msft"], START, END)
    assert cassette.play_count == 1
    body = recorded_body(OK_CASSETTE)["bars"]
    for symbol in ("AAPL", "MSFT"):
        got = frame[frame["symbol"] == symbol]
        want = body[symbol]
        assert got["ts"].dt.strftime("%Y-%m-%d").tolist() == [b["t"][:10] for b in want]
        np.testing.assert_allclose(got["close"], [b["c"] for b in want])
        np.testing.assert_allclose(got["high"], [b["h"] for b in want])
        np.testing.assert_allclose(got["volume"], [b["v"] for b in want])
    assert (frame["ts"] == frame["ts"].dt.normalize()).all()
    assert frame["ts"].dt.tz is not None and str(frame["ts"].dt.tz) == "UTC"
    assert validate_bars(frame).ok


def test_cassette_429_and_503_are_retried_with_backoff(alpaca_keys):
    with alpaca_vcr().use_cassette("bars_AAPL_MSFT_429_then_ok.yaml") as cassette:
        made = make(alpaca_keys, backoff_s=1.0)
        frame = made.fetch(["AAPL", "MSFT"], START, END)
    assert cassette.play_count == 3 and len(frame) == 8
    assert made.sleeps == [1.0, 2.0]


def test_cassette_403_is_a_config_error_about_the_keys(alpaca_keys):
    with alpaca_vcr().use_cassette("bars_AAPL_MSFT_403.yaml") as cassette, \
            pytest.raises(ConfigError, match="refused the API keys"):
        make(alpaca_keys).fetch(["AAPL", "MSFT"], START, END)
    assert cassette.play_count == 1  # not retried


def test_cassette_422_is_a_data_error_not_retried(alpaca_keys):
    with alpaca_vcr().use_cassette("bars_AAPL_MSFT_422_error.yaml") as cassette, \
            pytest.raises(DataError, match="invalid symbol"):
        make(alpaca_keys).fetch(["AAPL", "MSFT"], START, END)
    assert cassette.play_count == 1


def test_cassette_symbol_without_bars_is_a_data_error_naming_it(alpaca_keys):
    with alpaca_vcr().use_cassette("bars_AAPL_MSFT_empty.yaml"), pytest.raises(DataError) as caught:
        make(alpaca_keys).fetch(["AAPL", "MSFT"], START, END)
    assert caught.value.details["symbols"] == ["MSFT"]


@pytest.mark.parametrize("keys", [(None, "secret"), ("key", None), (None, None)])
def test_missing_keys_are_a_config_error(keys):
    with pytest.raises(ConfigError, match="API key"):
        AlpacaProvider(*keys)


def test_cassettes_never_store_key_values():
    for path in (CASSETTES / "alpaca").glob("*.yaml"):
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            headers = interaction["request"]["headers"]
            assert headers.get("APCA-API-SECRET-KEY", ["REDACTED"]) == ["REDACTED"], path.name


def test_frame_has_canonical_columns(alpaca_keys):
    with alpaca_vcr().use_cassette(OK_CASSETTE):
        frame = make(alpaca_keys).fetch(["AAPL", "MSFT"], START, END)
    assert list(frame.columns) == ["symbol", "ts", "open", "high", "low", "close", "volume"]
    assert frame["ts"].iloc[0] == pd.Timestamp("2024-01-02", tz="UTC")
