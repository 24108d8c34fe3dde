"""Bars from Alpaca market data (``/v2/stocks/bars``) through alpaca-py.

Keys are passed in by the caller (never read from the environment here). Retries with
exponential backoff (tenacity) only on HTTP 429, 5xx, timeouts and connection errors; any
other failure is a ``DataError`` (or ``ConfigError`` for rejected keys) naming the symbols.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from errors import ConfigError, DataError
from quant.data.providers.base import check_date_range, check_timeframe, normalize_symbols
from quant.data.schema import BAR_COLUMNS, DAILY, empty_bars, to_bar_frame

EARLIEST_START = date(2016, 1, 1)  # Alpaca's historical stock data begins in 2016
MARKET_TZ = "America/New_York"  # Alpaca stamps daily bars at 00:00 New York time
_TIMEFRAMES = ("1d", "1h", "1m")


class _TransientAlpacaError(Exception):
    """HTTP 429/5xx, timeout or dropped connection: worth another attempt."""


class _TimeoutSession(requests.Session):
    """A requests session that applies a default timeout (alpaca-py sets none)."""

    def __init__(self, timeout_s: float):
        super().__init__()
        self.timeout_s = timeout_s

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout_s)
        return super().request(method, url, **kwargs)


def _client(api_key: str, secret_key: str, timeout_s: float):
    """alpaca-py's client with a request timeout and without its own retry loop.

    alpaca-py exposes neither setting on ``StockHistoricalDataClient``: it sends requests with
    no timeout and retries 429/504 itself with fixed 3 s sleeps. We set both once here so
    tenacity alone owns the retry policy.
    """
    from alpaca.data.historical import StockHistoricalDataClient

    client = StockHistoricalDataClient(api_key, secret_key)
    client._retry = 0
    client._session = _TimeoutSession(timeout_s)
    return client


def _timeframe(timeframe: str):
    from alpaca.data.timeframe import TimeFrame

    return {"1d": TimeFrame.Day, "1h": TimeFrame.Hour, "1m": TimeFrame.Minute}[timeframe]


class AlpacaProvider:
    """Stock bars from Alpaca; ``feed`` is "iex" (free) or "sip"; ``adjustment`` raw|split|dividend|all."""

    name = "alpaca"

    def __init__(self, api_key: str | None = None, secret_key: str | None = None, *,
                 feed: str = "iex", adjustment: str = "all", timeout_s: float = 10.0,
                 attempts: int = 3, backoff_s: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep):
        if not api_key or not secret_key:
            raise ConfigError(
                "Alpaca market data needs an API key id and secret key; pass api_key= and secret_key=",
                details={"provider": self.name, "missing": [n for n, v in
                         (("api_key", api_key), ("secret_key", secret_key)) if not v]},
            )
        self._client = _client(api_key, secret_key, timeout_s)
        self.feed, self.adjustment = feed, adjustment
        self.attempts, self.backoff_s, self._sleep = attempts, backoff_s, sleep

    def available_symbols(self) -> list[str] | None:
        return None

    def _request(self, symbols: list[str], start: date | None, end: date | None, timeframe: str):
        from alpaca.data.requests import StockBarsRequest

        first = start or EARLIEST_START
        return StockBarsRequest(
            symbol_or_symbols=symbols, timeframe=_timeframe(timeframe),
            start=datetime(first.year, first.month, first.day, tzinfo=UTC),
            end=None if end is None else datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1),
            adjustment=self.adjustment, feed=self.feed,
        )

    def _call(self, request, symbols: list[str]):
        from alpaca.common.exceptions import APIError

        def once():
            try:
                return self._client.get_stock_bars(request)
            except APIError as exc:
                status = exc.status_code
                if status == 429 or (status is not None and status >= 500):
                    raise _TransientAlpacaError(f"HTTP {status}: {exc}") from exc
                if status in (401, 403):
                    raise ConfigError(f"Alpaca refused the API keys (HTTP {status}) for {symbols}",
                                      details={"status": status, "symbols": symbols}) from exc
                raise DataError(f"Alpaca rejected the bars request for {symbols} (HTTP {status}): {exc}",
                                details={"status": status, "symbols": symbols}) from exc
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise _TransientAlpacaError(f"{type(exc).__name__}: {exc}") from exc

        retrying = Retrying(stop=stop_after_attempt(self.attempts),
                            wait=wait_exponential(multiplier=self.backoff_s, max=30),
                            retry=retry_if_exception_type(_TransientAlpacaError),
                            sleep=self._sleep, reraise=True)
        try:
            return retrying(once)
        except _TransientAlpacaError as exc:
            raise DataError(f"Alpaca failed for {symbols} after {self.attempts} attempts: {exc}",
                            details={"symbols": symbols, "attempts": self.attempts}) from exc

    def fetch(self, symbols: Sequence[str], start: date | None = None, end: date | None = None,
              timeframe: str = DAILY) -> pd.DataFrame:
        """Bars for ``symbols`` with session dates ``start``..``end`` inclusive (daily stamped 00:00 UTC)."""
        check_timeframe(timeframe, _TIMEFRAMES, self.name)
        check_date_range(start, end)
        wanted = normalize_symbols(symbols)
        barset = self._call(self._request(wanted, start, end, timeframe), wanted)
        missing = [s for s in wanted if not barset.data.get(s)]
        if missing:
            raise DataError(f"Alpaca returned no bars for {missing} between {start} and {end}",
                            details={"symbols": missing, "start": str(start), "end": str(end)})
        return bars_frame(barset.data, daily=timeframe == DAILY)


def bars_frame(data: dict[str, list], *, daily: bool) -> pd.DataFrame:
    """Canonical bar frame from alpaca-py ``BarSet.data`` (symbol -> list of ``Bar``)."""
    rows = [(b.symbol, b.timestamp, b.open, b.high, b.low, b.close, b.volume)
            for bars in data.values() for b in bars]
    if not rows:
        return empty_bars()
    frame = pd.DataFrame(rows, columns=list(BAR_COLUMNS))
    ts = pd.to_datetime(frame["ts"], utc=True)
    if daily:
        ts = ts.dt.tz_convert(MARKET_TZ).dt.tz_localize(None).dt.normalize().dt.tz_localize("UTC")
    frame["ts"] = ts
    return to_bar_frame(frame)
