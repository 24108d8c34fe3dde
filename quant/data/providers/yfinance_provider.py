"""Daily bars from Yahoo Finance's chart API, fetched and parsed with yfinance's own code.

Fetching and parsing are split: a ``ChartTransport`` returns the chart-API JSON for one symbol
(live: yfinance's ``YfData`` session with curl_cffi, cookie and crumb handling), and
``parse_chart`` turns it into bars with yfinance's ``utils.parse_quotes``/``set_df_tz``/
``fix_Yahoo_dst_issue``/``auto_adjust``. Tests replay recorded payloads through the same parser.
yfinance itself does not raise on failure (it logs and returns an empty frame), so every empty
or error payload is turned into a ``DataError`` naming the symbol here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import pandas as pd
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential
from yfinance import utils as yf_utils

from errors import DataError
from quant.data.providers.base import check_date_range, check_timeframe, clip_dates, normalize_symbols
from quant.data.schema import BAR_COLUMNS, DAILY, empty_bars, to_bar_frame

CHART_URL = "https://query2.finance.yahoo.com/v8/finance/chart/{symbol}"


class TransientFetchError(Exception):
    """A failure worth retrying: timeout, connection reset, HTTP 429 or 5xx."""


class ChartTransport(Protocol):
    """Returns Yahoo's chart-API JSON for one symbol; raises ``TransientFetchError`` when retryable."""

    def get_chart(self, symbol: str, params: Mapping[str, Any], timeout_s: float) -> dict: ...


class YahooChartTransport:
    """The live transport: yfinance's shared ``YfData`` session (curl_cffi browser impersonation)."""

    def get_chart(self, symbol: str, params: Mapping[str, Any], timeout_s: float) -> dict:
        from curl_cffi.requests import exceptions as curl_errors
        from yfinance.data import YfData
        from yfinance.exceptions import YFRateLimitError

        try:
            response = YfData().get(url=CHART_URL.format(symbol=symbol), params=dict(params),
                                    timeout=timeout_s)
        except (YFRateLimitError, curl_errors.Timeout, curl_errors.ConnectionError, TimeoutError,
                ConnectionError) as exc:
            raise TransientFetchError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientFetchError(f"HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise DataError(f"Yahoo sent a non-JSON answer for {symbol} (HTTP {response.status_code})",
                            details={"symbol": symbol, "status": response.status_code}) from exc


def chart_params(start: date | None, end: date | None, now: datetime) -> dict[str, Any]:
    """Chart-API query for daily bars covering the session dates ``start``..``end`` (padded a day)."""
    last = end or now.date()
    first = start or (last - timedelta(days=365 * 99))
    to_epoch = lambda d: int(pd.Timestamp(d).tz_localize("UTC").timestamp())  # noqa: E731
    return {
        "period1": to_epoch(first - timedelta(days=1)),
        "period2": to_epoch(last + timedelta(days=2)),
        "interval": "1d",
        "includePrePost": False,
        "events": "div,splits,capitalGains",
    }


def parse_chart(payload: Mapping[str, Any], symbol: str, *, adjust: bool = True) -> pd.DataFrame:
    """Canonical daily bars from a chart-API payload; ``DataError`` naming ``symbol`` if it has none.

    ``adjust=True`` scales open/high/low/close by Adj Close / Close (split and dividend
    adjusted, like ``yf.download(auto_adjust=True)``); otherwise Yahoo's split-adjusted Close.
    Bars are stamped at 00:00 UTC of the session date in the exchange's time zone.
    """
    chart = (payload or {}).get("chart") or {}
    if chart.get("error"):
        error = chart["error"] or {}
        raise DataError(f"Yahoo has no data for {symbol}: {error.get('description') or error}",
                        details={"symbol": symbol, "yahoo_error": error})
    results = chart.get("result") or []
    result = results[0] if results else None
    if not result or not result.get("timestamp") or not (result.get("indicators") or {}).get("quote"):
        raise DataError(f"Yahoo returned no bars for {symbol}", details={"symbol": symbol})
    meta = result.get("meta") or {}
    tz = meta.get("exchangeTimezoneName") or "America/New_York"
    quotes = yf_utils.parse_quotes(result)
    quotes = yf_utils.fix_Yahoo_dst_issue(yf_utils.set_df_tz(quotes, DAILY, tz), DAILY)
    if adjust:
        quotes = yf_utils.auto_adjust(quotes)
    quotes = quotes.dropna(how="all", subset=["Open", "High", "Low", "Close"])
    quotes = quotes[~quotes.index.duplicated(keep="first")]
    if quotes.empty:
        raise DataError(f"Yahoo returned only empty rows for {symbol}", details={"symbol": symbol})
    session_day = quotes.index.tz_localize(None).normalize().tz_localize("UTC")
    frame = pd.DataFrame({
        "symbol": symbol.upper(), "ts": session_day,
        "open": quotes["Open"].to_numpy(), "high": quotes["High"].to_numpy(),
        "low": quotes["Low"].to_numpy(), "close": quotes["Close"].to_numpy(),
        "volume": quotes["Volume"].to_numpy(dtype="float64"),
    })
    return to_bar_frame(frame[list(BAR_COLUMNS)])


class YFinanceProvider:
    """Daily bars from Yahoo via yfinance, with retries, a timeout and a simple rate limit.

    ``attempts`` tries per symbol with exponential backoff from ``backoff_s`` seconds (only on
    ``TransientFetchError``); at most one request per ``min_interval_s`` seconds.
    ``clock``/``sleep``/``now`` are injectable so tests never wait.
    """

    name = "yfinance"

    def __init__(self, *, transport: ChartTransport | None = None, adjust: bool = True,
                 timeout_s: float = 10.0, attempts: int = 3, backoff_s: float = 1.0,
                 min_interval_s: float = 0.5, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._transport = transport or YahooChartTransport()
        self.adjust = adjust
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.min_interval_s = min_interval_s
        self._sleep, self._clock, self._now = sleep, clock, now
        self._last_request: float | None = None

    def available_symbols(self) -> list[str] | None:
        return None

    def _throttle(self) -> None:
        if self._last_request is not None:
            wait = self.min_interval_s - (self._clock() - self._last_request)
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _get(self, symbol: str, params: Mapping[str, Any]) -> dict:
        def once() -> dict:
            self._throttle()
            return self._transport.get_chart(symbol, params, self.timeout_s)

        retrying = Retrying(stop=stop_after_attempt(self.attempts),
                            wait=wait_exponential(multiplier=self.backoff_s, max=30),
                            retry=retry_if_exception_type(TransientFetchError),
                            sleep=self._sleep, reraise=True)
        try:
            return retrying(once)
        except TransientFetchError as exc:
            raise DataError(f"Yahoo failed for {symbol} after {self.attempts} attempts: {exc}",
                            details={"symbol": symbol, "attempts": self.attempts}) from exc

    def fetch(self, symbols: Sequence[str], start: date | None = None, end: date | None = None,
              timeframe: str = DAILY) -> pd.DataFrame:
        check_timeframe(timeframe, (DAILY,), self.name)
        check_date_range(start, end)
        params = chart_params(start, end, self._now())
        parts = []
        for symbol in normalize_symbols(symbols):
            bars = clip_dates(parse_chart(self._get(symbol, params), symbol, adjust=self.adjust), start, end)
            if bars.empty:
                raise DataError(f"Yahoo returned no bars for {symbol} between {start} and {end}",
                                details={"symbol": symbol, "start": str(start), "end": str(end)})
            parts.append(bars)
        frame = pd.concat(parts, ignore_index=True) if parts else empty_bars()
        return frame.sort_values(["symbol", "ts"], kind="stable").reset_index(drop=True)
