"""Invariants: synthetic bars always pass; one corrupted row is always caught and named."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.data.providers.synthetic import synthetic_bars, synthetic_sessions
from quant.data.validation import Rule, validate_bars

SYMBOLS = ["AAA", "BBB", "CCC", "DDD"]


@st.composite
def synthetic_frames(draw) -> pd.DataFrame:
    n_symbols = draw(st.integers(1, 4))
    n_bars = draw(st.integers(2, 300))
    seed = draw(st.integers(0, 2**32 - 1))
    vol = draw(st.floats(0.05, 0.6))
    return synthetic_bars(SYMBOLS[:n_symbols], synthetic_sessions(n_bars), seed=seed, vol_annual=vol)


def _set_ts(frame: pd.DataFrame, row: int, value) -> pd.DataFrame:
    stamps = list(frame["ts"])
    stamps[row] = value
    frame["ts"] = pd.Series(stamps, dtype=object) if value.tzinfo is None else pd.DatetimeIndex(stamps)
    return frame


CORRUPTIONS = {
    Rule.MISSING_CLOSE: lambda f, r: f.__setitem__("close", f["close"].where(f.index != r, np.nan)),
    Rule.NON_FINITE_PRICE: lambda f, r: f.__setitem__("open", f["open"].where(f.index != r, np.inf)),
    Rule.NON_POSITIVE_PRICE: lambda f, r: f.__setitem__("low", f["low"].where(f.index != r, -f["low"])),
    Rule.HIGH_BELOW_LOW: lambda f, r: f.__setitem__("high", f["high"].where(f.index != r, f["low"] * 0.9)),
    Rule.OPEN_OUTSIDE_RANGE: lambda f, r: f.__setitem__("open", f["open"].where(f.index != r, f["high"] * 1.01)),
    Rule.CLOSE_OUTSIDE_RANGE: lambda f, r: f.__setitem__("close", f["close"].where(f.index != r, f["low"] * 0.99)),
    Rule.NEGATIVE_VOLUME: lambda f, r: f.__setitem__("volume", f["volume"].where(f.index != r, -1.0)),
    Rule.DUPLICATE_TIMESTAMP: lambda f, r: _set_ts(f, r, f["ts"].iat[r - 1]),
    Rule.UNSORTED_TIMESTAMP: lambda f, r: _set_ts(f, r, f["ts"].iat[r - 1] - pd.Timedelta(days=1)),
    Rule.NAIVE_TIMESTAMP: lambda f, r: _set_ts(f, r, f["ts"].iat[r].tz_localize(None)),
}


@settings(max_examples=60, deadline=None)
@given(frame=synthetic_frames())
def test_every_synthetic_frame_passes_validation_without_issues(frame):
    report = validate_bars(frame)
    assert report.ok, [i.describe() for i in report.errors]
    assert report.issues == ()


@settings(max_examples=150, deadline=None)
@given(frame=synthetic_frames(), rule=st.sampled_from(sorted(CORRUPTIONS)), data=st.data())
def test_one_corrupted_row_is_caught_and_named(frame, rule, data):
    # rows that have an earlier bar of the same symbol (needed for duplicate/unsorted corruption)
    same_as_previous = np.flatnonzero(frame["symbol"].to_numpy()[1:] == frame["symbol"].to_numpy()[:-1]) + 1
    row = int(data.draw(st.sampled_from(same_as_previous.tolist())))
    CORRUPTIONS[rule](frame, row)
    report = validate_bars(frame)
    assert not report.ok
    assert any(i.rule is rule and i.row == row for i in report.errors), [i.describe() for i in report.errors]
    assert {i.row for i in report.errors} <= {row, row + 1, None}
