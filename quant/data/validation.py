"""Quality checks for canonical bar frames (see ``quant.data.schema``), before anything is stored.

``validate_bars`` returns every finding as a value (``QualityReport``); ``ensure_valid`` raises
``errors.DataError`` when any finding is an error. A row is named by its index label (the
position for a canonical frame with a RangeIndex; file providers label rows by file line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from errors import DataError
from quant.data.calendar import session_nanos
from quant.data.schema import BAR_COLUMNS
from quant.data.symbols import RULE as SYMBOL_RULE
from quant.data.symbols import is_symbol

SPLIT_JUMP_THRESHOLD = 0.4  # |close-to-close simple return| above this looks like an unadjusted split
_NANOS_PER_DAY = 86_400 * 10**9
_MESSAGE_ISSUES = 5  # issues spelled out in an exception message
_DETAIL_ISSUES = 100  # issues carried in an exception's details


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Rule(StrEnum):
    """Machine-readable code of a quality rule."""

    MISSING_COLUMN = "missing_column"
    BAD_SYMBOL = "bad_symbol"
    MISSING_CLOSE = "missing_close"
    NON_FINITE_PRICE = "non_finite_price"
    NON_POSITIVE_PRICE = "non_positive_price"
    HIGH_BELOW_LOW = "high_below_low"
    OPEN_OUTSIDE_RANGE = "open_outside_range"
    CLOSE_OUTSIDE_RANGE = "close_outside_range"
    NEGATIVE_VOLUME = "negative_volume"
    MISSING_TIMESTAMP = "missing_timestamp"
    NAIVE_TIMESTAMP = "naive_timestamp"
    NON_UTC_TIMESTAMP = "non_utc_timestamp"
    DUPLICATE_TIMESTAMP = "duplicate_timestamp"
    UNSORTED_TIMESTAMP = "unsorted_timestamp"
    SUSPICIOUS_JUMP = "suspicious_jump"
    CALENDAR_GAP = "calendar_gap"
    OFF_CALENDAR = "off_calendar"


@dataclass(frozen=True)
class QualityIssue:
    """One finding: which row (index label), symbol and timestamp, which rule, and why."""

    symbol: str | None
    ts: pd.Timestamp | None
    row: int | None
    rule: Rule
    severity: Severity
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "ts": None if self.ts is None else self.ts.isoformat(),
            "row": self.row,
            "rule": str(self.rule),
            "severity": str(self.severity),
            "detail": self.detail,
        }

    def describe(self) -> str:
        return f"{self.rule} at row {self.row} ({self.symbol} {self.ts}): {self.detail}"


@dataclass(frozen=True)
class QualityReport:
    """All findings for one frame; ``ok`` means no error-level finding (warnings allowed)."""

    rows: int
    symbols: tuple[str, ...]
    issues: tuple[QualityIssue, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[QualityIssue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[QualityIssue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors

    def rule_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for issue in self.issues:
            counts[str(issue.rule)] = counts.get(str(issue.rule), 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "symbols": list(self.symbols),
            "ok": self.ok,
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "issues": [i.to_dict() for i in self.issues],
        }


class _Collector:
    """Turns boolean row masks into issues, reading symbol/ts/row label only for flagged rows."""

    def __init__(self, frame: pd.DataFrame, ts: pd.Series | None):
        self._frame = frame
        self._ts = ts
        self._labels = frame.index
        self.issues: list[QualityIssue] = []

    def _symbol(self, pos: int) -> str | None:
        if "symbol" not in self._frame.columns:
            return None
        value = str(self._frame["symbol"].iat[pos])
        return value if is_symbol(value) else repr(value)[:40]  # never echo a control or bidi character

    def _stamp(self, pos: int) -> pd.Timestamp | None:
        if self._ts is None:
            return None
        value = self._ts.iat[pos]
        return None if pd.isna(value) else pd.Timestamp(value)

    def add(self, pos: int, rule: Rule, severity: Severity, detail: str, ts=None) -> None:
        label = self._labels[pos]
        row = int(label) if isinstance(label, int | np.integer) else pos
        stamp = self._stamp(pos) if ts is None else ts
        self.issues.append(QualityIssue(self._symbol(pos), stamp, row, rule, severity, detail))

    def mask(self, mask: np.ndarray, rule: Rule, severity: Severity, describe) -> None:
        for pos in np.flatnonzero(mask):
            self.add(int(pos), rule, severity, describe(int(pos)))


def _symbol_checks(frame: pd.DataFrame, out: _Collector) -> None:
    """Every row's symbol is a ticker symbol (``quant.data.symbols``): HTML, SQL, instructions, control or
    bidirectional characters and over-long strings are refused naming the row."""
    values = frame["symbol"].astype(str)
    bad = [value for value in values.unique() if not is_symbol(value)]
    if bad:
        out.mask(values.isin(bad).to_numpy(), Rule.BAD_SYMBOL, Severity.ERROR,
                 lambda pos: f"{repr(values.iat[pos])[:40]} is not a ticker symbol ({SYMBOL_RULE})")


def _timestamp_checks(frame: pd.DataFrame, out: _Collector) -> tuple[np.ndarray | None, bool]:
    """Check the ts column; return (int64 UTC nanos or None when unusable, all-utc flag)."""
    raw = frame["ts"]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        if str(raw.dt.tz) != "UTC":
            out.add(0, Rule.NON_UTC_TIMESTAMP, Severity.ERROR, f"ts column is in {raw.dt.tz}, not UTC")
        missing = raw.isna().to_numpy()
        out.mask(missing, Rule.MISSING_TIMESTAMP, Severity.ERROR, lambda p: "ts is missing")
        if missing.any():
            return None, False
        return raw.dt.tz_convert("UTC").array.asi8.copy(), True
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        out.add(0, Rule.NAIVE_TIMESTAMP, Severity.ERROR, f"ts column has no time zone ({raw.dtype})")
        return None, False
    # object column: check each value's own time zone
    values = raw.to_numpy()
    nanos = np.zeros(len(values), dtype="int64")
    usable = True
    for pos, value in enumerate(values):
        stamp = pd.Timestamp(value) if isinstance(value, pd.Timestamp | np.datetime64) else value
        if stamp is None or (not hasattr(stamp, "tzinfo")) or pd.isna(stamp):
            out.add(pos, Rule.MISSING_TIMESTAMP, Severity.ERROR, f"ts is not a timestamp: {value!r}", ts=None)
            usable = False
        elif stamp.tzinfo is None:
            out.add(pos, Rule.NAIVE_TIMESTAMP, Severity.ERROR, "ts has no time zone", ts=pd.Timestamp(stamp))
            usable = False
        else:
            stamp = pd.Timestamp(stamp)
            if str(stamp.tz) != "UTC":
                out.add(pos, Rule.NON_UTC_TIMESTAMP, Severity.ERROR, f"ts is in {stamp.tz}, not UTC", ts=stamp)
            nanos[pos] = stamp.value
    return (nanos if usable else None), usable


def _price_checks(frame: pd.DataFrame, out: _Collector) -> None:
    def col(name: str) -> np.ndarray:
        return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64")

    o, h, lo, c, v = (col(n) for n in ("open", "high", "low", "close", "volume"))
    out.mask(np.isnan(c), Rule.MISSING_CLOSE, Severity.ERROR, lambda p: "close is missing")
    ohlc_row = ~(np.isnan(o) & np.isnan(h) & np.isnan(lo))  # closes-only rows have all three NaN
    for name, values in (("open", o), ("high", h), ("low", lo), ("close", c)):
        bad = np.isinf(values) | (np.isnan(values) & ohlc_row & (name != "close"))
        out.mask(bad, Rule.NON_FINITE_PRICE, Severity.ERROR, lambda p, n=name, x=values: f"{n} is {x[p]}")
        out.mask(values <= 0, Rule.NON_POSITIVE_PRICE, Severity.ERROR, lambda p, n=name, x=values: f"{n} = {x[p]}")
    with np.errstate(invalid="ignore"):
        out.mask(h < lo, Rule.HIGH_BELOW_LOW, Severity.ERROR, lambda p: f"high {h[p]} < low {lo[p]}")
        for name, values, rule in (("open", o, Rule.OPEN_OUTSIDE_RANGE), ("close", c, Rule.CLOSE_OUTSIDE_RANGE)):
            outside = (h >= lo) & ((values < lo) | (values > h))
            out.mask(outside, rule, Severity.ERROR,
                     lambda p, n=name, x=values: f"{n} {x[p]} outside [low {lo[p]}, high {h[p]}]")
    out.mask(v < 0, Rule.NEGATIVE_VOLUME, Severity.ERROR, lambda p: f"volume = {v[p]}")


def _order_checks(frame: pd.DataFrame, nanos: np.ndarray, out: _Collector, jump: float) -> np.ndarray:
    """Duplicates, sorting and jumps; returns the boolean 'same symbol as previous row' array."""
    codes, _ = pd.factorize(frame["symbol"].astype(str), sort=True)
    same = np.zeros(len(frame), dtype=bool)
    same[1:] = codes[1:] == codes[:-1]
    step = np.zeros(len(frame), dtype="int64")
    step[1:] = np.diff(nanos)
    dup = pd.DataFrame({"s": codes, "t": nanos}).duplicated().to_numpy()
    out.mask(dup, Rule.DUPLICATE_TIMESTAMP, Severity.ERROR, lambda p: "repeats an earlier (symbol, ts)")
    unsorted = np.zeros(len(frame), dtype=bool)
    unsorted[1:] = codes[1:] < codes[:-1]
    unsorted |= same & (step < 0)
    out.mask(unsorted, Rule.UNSORTED_TIMESTAMP, Severity.ERROR, lambda p: "earlier than the row before it")
    close = pd.to_numeric(frame["close"], errors="coerce").to_numpy(dtype="float64")
    ret = np.full(len(frame), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ret[1:] = close[1:] / close[:-1] - 1.0
        big = same & (close > 0) & (np.roll(close, 1) > 0) & (np.abs(ret) > jump)
    out.mask(big, Rule.SUSPICIOUS_JUMP, Severity.WARNING,
             lambda p: f"close-to-close return {ret[p]:+.1%} exceeds {jump:.0%}: possible unadjusted split")
    return same


def _calendar_checks(frame: pd.DataFrame, nanos: np.ndarray, same: np.ndarray, calendar: str,
                     out: _Collector) -> None:
    """Missing sessions between each symbol's first and last bar, and bars on non-session days."""
    if len(nanos) == 0 or np.any(nanos % _NANOS_PER_DAY):
        return  # intraday or oddly stamped bars: session gaps are a daily-bar notion
    sessions = session_nanos(calendar)
    starts = np.flatnonzero(~same)
    ends = np.append(starts[1:], len(nanos))
    for a, b in zip(starts, ends, strict=True):
        run = nanos[a:b]
        if np.any(np.diff(run) <= 0):
            continue  # already reported as unsorted/duplicate
        first, last = max(run[0], sessions[0]), min(run[-1], sessions[-1])
        expected = sessions[np.searchsorted(sessions, first):np.searchsorted(sessions, last, "right")]
        in_range = (run >= sessions[0]) & (run <= sessions[-1])
        off = in_range & ~np.isin(run, sessions, assume_unique=True)
        out.mask(np.concatenate([np.zeros(a, bool), off, np.zeros(len(nanos) - b, bool)]),
                 Rule.OFF_CALENDAR, Severity.WARNING, lambda p: f"bar on a day that is not a {calendar} session")
        missing = expected[~np.isin(expected, run, assume_unique=True)]
        if len(missing) == 0:
            continue
        # one warning per run of consecutive missing sessions, on the row after the gap
        pos_in_sessions = np.searchsorted(sessions, missing)
        breaks = np.flatnonzero(np.diff(pos_in_sessions) != 1) + 1
        for chunk in np.split(missing, breaks):
            after = a + int(np.searchsorted(run, chunk[-1], "right"))
            gap_start, gap_end = pd.Timestamp(chunk[0], tz="UTC"), pd.Timestamp(chunk[-1], tz="UTC")
            out.add(after, Rule.CALENDAR_GAP, Severity.WARNING,
                    f"{len(chunk)} missing {calendar} session(s) {gap_start.date()}..{gap_end.date()}",
                    ts=gap_start)


def validate_bars(frame: pd.DataFrame, *, calendar: str | None = "XNYS",
                  jump_threshold: float = SPLIT_JUMP_THRESHOLD) -> QualityReport:
    """Check a bar frame against every rule; ``calendar=None`` skips the session-gap warnings.

    ``jump_threshold`` is the absolute simple daily return (0.4 = 40%) above which a warning is raised.
    """
    symbols = tuple(sorted(frame["symbol"].astype(str).unique())) if "symbol" in frame.columns else ()
    missing = [c for c in BAR_COLUMNS if c not in frame.columns]
    if missing:
        issue = QualityIssue(None, None, None, Rule.MISSING_COLUMN, Severity.ERROR,
                             f"frame lacks column(s) {missing}; has {list(frame.columns)}")
        return QualityReport(len(frame), symbols, (issue,))
    if len(frame) == 0:
        return QualityReport(0, symbols, ())
    ts = frame["ts"] if isinstance(frame["ts"].dtype, pd.DatetimeTZDtype) else None
    out = _Collector(frame, ts if ts is not None else frame["ts"].map(_loose_stamp))
    _symbol_checks(frame, out)
    nanos, usable = _timestamp_checks(frame, out)
    _price_checks(frame, out)
    if nanos is not None:
        same = _order_checks(frame, nanos, out, jump_threshold)
        if calendar is not None and usable:
            _calendar_checks(frame, nanos, same, calendar, out)
    return QualityReport(len(frame), symbols, tuple(out.issues))


def _loose_stamp(value: Any) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError):
        return None


def ensure_valid(frame: pd.DataFrame, *, calendar: str | None = "XNYS",
                 jump_threshold: float = SPLIT_JUMP_THRESHOLD) -> QualityReport:
    """``validate_bars``, raising ``DataError`` (details: issues, issue_count, rules) on any error."""
    report = validate_bars(frame, calendar=calendar, jump_threshold=jump_threshold)
    errors = report.errors
    if errors:
        shown = "; ".join(i.describe() for i in errors[:_MESSAGE_ISSUES])
        more = f" (and {len(errors) - _MESSAGE_ISSUES} more)" if len(errors) > _MESSAGE_ISSUES else ""
        raise DataError(
            f"bar data failed validation: {shown}{more}",
            details={
                "issues": [i.to_dict() for i in errors[:_DETAIL_ISSUES]],
                "issue_count": len(errors),
                "rules": {k: v for k, v in report.rule_counts().items()
                          if any(str(e.rule) == k for e in errors)},
            },
        )
    return report
