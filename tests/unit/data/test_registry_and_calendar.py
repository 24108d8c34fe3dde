"""Provider lookup by name, calendar helpers, and the no-network guard itself."""

from __future__ import annotations

import socket

import pandas as pd
import pytest

from errors import ConfigError
from quant.data.calendar import last_session_on_or_before, previous_session, sessions_between, trading_sessions
from quant.data.providers import PROVIDER_NAMES, DataProvider, get_provider
from tests.unit.data.conftest import NetworkBlocked


@pytest.mark.parametrize("name", ["bundled", "synthetic", "yfinance"])
def test_offline_constructible_providers_satisfy_the_protocol(name):
    provider = get_provider(name)
    assert isinstance(provider, DataProvider) and provider.name == name


def test_file_and_alpaca_providers_take_their_arguments(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("date,close\n2024-01-02,1\n")
    assert get_provider("csv", path=path, symbol="X").fetch(["X"])["close"].tolist() == [1.0]
    assert get_provider("alpaca", api_key="k", secret_key="s").name == "alpaca"
    with pytest.raises(ConfigError, match="API key"):
        get_provider("alpaca")


def test_unknown_provider_lists_the_known_ones():
    with pytest.raises(ConfigError) as caught:
        get_provider("bloomberg")
    assert all(name in str(caught.value) for name in PROVIDER_NAMES)


def test_bad_provider_arguments_are_a_config_error():
    with pytest.raises(ConfigError, match="synthetic"):
        get_provider("synthetic", colour="blue")


def test_trading_sessions_skip_weekends_and_holidays_and_are_utc_midnight():
    sessions = trading_sessions("2023-12-22", "2024-01-02")
    assert sessions.strftime("%Y-%m-%d").tolist() == ["2023-12-22", "2023-12-26", "2023-12-27",
                                                      "2023-12-28", "2023-12-29", "2024-01-02"]
    assert str(sessions.tz) == "UTC" and (sessions == sessions.normalize()).all()


def test_previous_session_is_strictly_before_and_on_or_before_may_be_the_day():
    assert previous_session("2024-01-02") == pd.Timestamp("2023-12-29", tz="UTC")
    assert last_session_on_or_before("2024-01-02") == pd.Timestamp("2024-01-02", tz="UTC")
    assert last_session_on_or_before("2024-01-01") == pd.Timestamp("2023-12-29", tz="UTC")
    assert sessions_between("2023-12-29", "2024-01-03") == 2


def test_start_after_end_and_unknown_calendar_are_config_errors():
    with pytest.raises(ConfigError, match="after"):
        trading_sessions("2024-02-01", "2024-01-01")
    with pytest.raises(ConfigError, match="NOPE"):
        trading_sessions("2024-01-01", "2024-01-02", calendar="NOPE")


def test_outgoing_connections_are_blocked_in_these_tests():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect(("93.184.216.34", 443))
