"""Try providers in order until one serves valid bars; record who served, who failed and why."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

import pandas as pd

from errors import DataError, QuantpilotError
from quant.data.calendar import sessions_between
from quant.data.providers.base import DataProvider, ProviderFailure, ProviderResult, check_date_range
from quant.data.schema import DAILY
from quant.data.validation import ensure_valid


class FallbackChain:
    """Fetch from the first provider that answers with valid, non-empty bars.

    A provider fails when it raises a ``QuantpilotError`` (data, not-found, config, broker...),
    returns no rows, or (``validate=True``) returns bars with error-level quality issues.
    The result is ``stale`` when the last bar is more than ``stale_after_days`` XNYS sessions
    before the requested ``end`` (or ``as_of``, or today when neither is given).
    """

    name = "chain"

    def __init__(self, providers: Sequence[DataProvider], stale_after_days: int = 3, *,
                 validate: bool = True, calendar: str = "XNYS",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        if not providers:
            raise DataError("a fallback chain needs at least one provider")
        self.providers = list(providers)
        self.stale_after_days = stale_after_days
        self.validate = validate
        self.calendar = calendar
        self._clock = clock

    def available_symbols(self) -> list[str] | None:
        """Union of the providers' symbol lists; None if any provider cannot list them."""
        symbols: set[str] = set()
        for provider in self.providers:
            listed = provider.available_symbols()
            if listed is None:
                return None
            symbols.update(listed)
        return sorted(symbols)

    def fetch(self, symbols: Sequence[str], start: date | None = None, end: date | None = None,
              timeframe: str = DAILY, *, as_of: date | None = None) -> ProviderResult:
        """Bars from the first provider that serves; ``DataError`` listing every failure if none does."""
        check_date_range(start, end)
        failures: list[ProviderFailure] = []
        for provider in self.providers:
            try:
                frame = provider.fetch(symbols, start, end, timeframe)
                if frame.empty:
                    raise DataError(f"{provider.name} returned no bars for {list(symbols)}")
                missing = sorted({str(s).upper() for s in symbols} - set(frame["symbol"].unique()))
                if missing:
                    raise DataError(f"{provider.name} returned no bars for {missing}")
                report = ensure_valid(frame, calendar=None) if self.validate else None
            except QuantpilotError as exc:
                failures.append(ProviderFailure(provider.name, exc.code, exc.message))
                continue
            return self._result(frame, provider.name, failures, report, end or as_of)
        raise DataError(
            "no provider served " + ", ".join(str(s) for s in symbols) + ": "
            + "; ".join(f"{f.provider}: {f.message}" for f in failures),
            details={"failures": [f.to_dict() for f in failures], "symbols": list(symbols)},
        )

    def _result(self, frame: pd.DataFrame, source: str, failures: list[ProviderFailure], report,
                reference: date | None) -> ProviderResult:
        now = self._clock()
        last_bar = frame["ts"].max()
        oldest_last = frame.groupby("symbol")["ts"].max().min()
        reference_day = reference or now.date()
        lag_sessions = sessions_between(oldest_last, reference_day, self.calendar)
        warnings = [i.describe() for i in report.warnings] if report is not None else []
        stale = lag_sessions > self.stale_after_days
        if stale:
            warnings.append(
                f"stale: last bar {oldest_last.date()} is {lag_sessions} sessions before "
                f"{reference_day} (limit {self.stale_after_days})"
            )
        return ProviderResult(frame=frame, source=source, fetched_at=now, stale=stale,
                              warnings=tuple(warnings), failures=tuple(failures),
                              last_bar_at=pd.Timestamp(last_bar))
