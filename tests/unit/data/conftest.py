"""Fixtures for market-data tests: no outgoing network, recorded Yahoo/Alpaca payloads.

Every test here runs with outgoing sockets blocked (loopback and unix sockets still work) and
with proxies pointed at a closed loopback port, so even libcurl (curl_cffi) cannot get out.
``QUANTPILOT_RECORD=1`` lifts the block and re-records the cassettes from the live services.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "data"
RECORDING = os.environ.get("QUANTPILOT_RECORD") == "1"


class NetworkBlocked(RuntimeError):
    """Raised when a test tries to open an outgoing connection."""


def _is_local(family: int, address: Any) -> bool:
    if family == getattr(socket, "AF_UNIX", object()):
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def block_outgoing_network(monkeypatch):
    """Refuse socket connections to anything but loopback/unix; steer libcurl to a dead proxy."""
    if RECORDING:
        yield
        return
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded(real):
        def connect(self, address):
            if not _is_local(self.family, address):
                raise NetworkBlocked(f"test tried to connect to {address!r}")
            return real(self, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield


def yahoo_cassette(symbol: str, params: Mapping[str, Any], suffix: str = "") -> Path:
    name = f"chart_{symbol}_{params['period1']}_{params['period2']}{suffix}.json"
    return CASSETTES / "yahoo" / name


class RecordedChartTransport:
    """Replays chart-API payloads from tests/cassettes/data/yahoo; records them when RECORDING."""

    def __init__(self, suffix: str = ""):
        self.suffix = suffix
        self.requests: list[tuple[str, dict]] = []

    def get_chart(self, symbol: str, params: Mapping[str, Any], timeout_s: float) -> dict:
        self.requests.append((symbol, dict(params)))
        path = yahoo_cassette(symbol, params, self.suffix)
        if RECORDING and not self.suffix:
            from quant.data.providers.yfinance_provider import YahooChartTransport

            payload = YahooChartTransport().get_chart(symbol, params, timeout_s)
            path.write_text(json.dumps({"request": {"symbol": symbol, "params": dict(params)},
                                        "response": payload}, indent=1))
            return payload
        if not path.exists():
            raise FileNotFoundError(f"no recorded Yahoo payload {path.name}; record with QUANTPILOT_RECORD=1")
        recorded = json.loads(path.read_text())
        assert recorded["request"]["params"] == dict(params), "request differs from the recorded one"
        return recorded["response"]


@pytest.fixture
def recorded_yahoo() -> RecordedChartTransport:
    return RecordedChartTransport()


def alpaca_vcr():
    """A vcrpy VCR over tests/cassettes/data/alpaca that never stores key headers."""
    import vcr

    def sends_alpaca_key_headers(live, recorded) -> None:
        assert live.headers.get("APCA-API-KEY-ID"), "request lacks APCA-API-KEY-ID"
        assert live.headers.get("APCA-API-SECRET-KEY"), "request lacks APCA-API-SECRET-KEY"

    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES / "alpaca"),
        record_mode="all" if RECORDING else "none",
        filter_headers=[("APCA-API-KEY-ID", "REDACTED"), ("APCA-API-SECRET-KEY", "REDACTED")],
        decode_compressed_response=True,
    )
    recorder.register_matcher("alpaca_keys", sends_alpaca_key_headers)
    recorder.match_on = ("method", "scheme", "host", "port", "path", "query", "alpaca_keys")
    return recorder


@pytest.fixture
def alpaca_keys() -> tuple[str, str]:
    """Live keys when recording (read here, never inside quant/), placeholders otherwise."""
    if RECORDING:
        return os.environ["QUANTPILOT_ALPACA_API_KEY"], os.environ["QUANTPILOT_ALPACA_SECRET_KEY"]
    return "TEST-KEY-ID", "TEST-SECRET"
