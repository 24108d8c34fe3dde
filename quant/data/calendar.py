"""Exchange session calendars (thin helpers over ``exchange_calendars``).

Sessions are returned as tz-aware UTC timestamps at 00:00, the same stamping the canonical bar
frame uses for daily bars (see ``quant.data.schema``).
"""

from __future__ import annotations

import functools
from datetime import date, datetime

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from errors import ConfigError

# Early enough for every bundled dataset (skfolio starts 1990, arch 1999).
CALENDAR_FIRST_DAY = "1980-01-01"

DateLike = date | datetime | pd.Timestamp | str


@functools.cache
def load_calendar(name: str = "XNYS") -> xcals.ExchangeCalendar:
    """The exchange calendar ``name`` from 1980 to about a year ahead, loaded once per process."""
    try:
        return xcals.get_calendar(name, start=CALENDAR_FIRST_DAY)
    except xcals.errors.InvalidCalendarName as exc:
        raise ConfigError(
            f"unknown exchange calendar {name!r}", details={"calendar": name}
        ) from exc


@functools.cache
def session_nanos(name: str = "XNYS") -> np.ndarray:
    """All sessions of calendar ``name`` as sorted int64 nanoseconds since the epoch (00:00 UTC)."""
    sessions = load_calendar(name).sessions
    return np.asarray(sessions.tz_localize("UTC").asi8 if sessions.tz is None else sessions.asi8)


def _as_day(value: DateLike) -> pd.Timestamp:
    """Midnight (naive) of the calendar day of ``value``; tz-aware inputs keep their own day."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def trading_sessions(start: DateLike, end: DateLike, calendar: str = "XNYS") -> pd.DatetimeIndex:
    """Sessions from ``start`` to ``end`` inclusive, as UTC midnight timestamps (empty if none).

    Raises ``ConfigError`` when start is after end.
    """
    first, last = _as_day(start), _as_day(end)
    if first > last:
        raise ConfigError(
            f"start {first.date()} is after end {last.date()}",
            details={"start": str(first.date()), "end": str(last.date())},
        )
    nanos = session_nanos(calendar)
    lo = np.searchsorted(nanos, first.value, side="left")
    hi = np.searchsorted(nanos, last.value, side="right")
    return pd.DatetimeIndex(nanos[lo:hi], tz="UTC")


def previous_session(as_of: DateLike, calendar: str = "XNYS") -> pd.Timestamp:
    """The last session strictly before the calendar day of ``as_of`` (UTC midnight)."""
    nanos = session_nanos(calendar)
    position = np.searchsorted(nanos, _as_day(as_of).value, side="left") - 1
    if position < 0:
        raise ConfigError(
            f"no {calendar} session before {as_of} (calendar starts {CALENDAR_FIRST_DAY})",
            details={"as_of": str(as_of), "calendar": calendar},
        )
    return pd.Timestamp(nanos[position], tz="UTC")


def last_session_on_or_before(as_of: DateLike, calendar: str = "XNYS") -> pd.Timestamp:
    """The calendar day of ``as_of`` if it is a session, else the session before it (UTC midnight)."""
    return previous_session(_as_day(as_of) + pd.Timedelta(days=1), calendar)


def sessions_between(earlier: DateLike, later: DateLike, calendar: str = "XNYS") -> int:
    """Number of sessions after the day of ``earlier`` up to and including the day of ``later``."""
    nanos = session_nanos(calendar)
    lo = np.searchsorted(nanos, _as_day(earlier).value, side="right")
    hi = np.searchsorted(nanos, _as_day(later).value, side="right")
    return int(max(hi - lo, 0))
