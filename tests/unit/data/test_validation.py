"""Each validation rule, on hand-built frames where the right answer is obvious."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from errors import DataError
from quant.data.validation import QualityReport, Rule, Severity, ensure_valid, validate_bars
from tests.unit.data.bars_factory import closes_only, ohlc_bars


def two_symbols() -> pd.DataFrame:
    return pd.concat([ohlc_bars("AAA"), ohlc_bars("BBB")], ignore_index=True)


def rules_at(report: QualityReport) -> set[tuple[Rule, int | None]]:
    return {(i.rule, i.row) for i in report.issues}


def test_consistent_ohlc_bars_have_no_issues():
    report = validate_bars(two_symbols())
    assert report.ok and report.issues == ()
    assert report.rows == 10 and report.symbols == ("AAA", "BBB")


def test_closes_only_series_is_valid():
    assert validate_bars(closes_only()).issues == ()


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("close", np.nan, Rule.MISSING_CLOSE),
        ("close", np.inf, Rule.NON_FINITE_PRICE),
        ("open", np.nan, Rule.NON_FINITE_PRICE),
        ("high", -np.inf, Rule.NON_FINITE_PRICE),
        ("low", 0.0, Rule.NON_POSITIVE_PRICE),
        ("volume", -1.0, Rule.NEGATIVE_VOLUME),
    ],
)
def test_bad_value_in_one_row_is_an_error_naming_that_row(column, value, rule):
    frame = two_symbols()
    frame.loc[7, column] = value
    report = validate_bars(frame)
    assert (rule, 7) in rules_at(report)
    assert {i.row for i in report.errors} == {7}
    issue = next(i for i in report.errors if i.rule is rule)
    assert issue.symbol == "BBB" and issue.ts == frame.loc[7, "ts"] and issue.severity is Severity.ERROR


def test_nan_in_present_ohlc_of_closes_only_row_is_fine_but_partial_ohlc_is_not():
    frame = closes_only()
    frame.loc[2, "high"] = 105.0  # now the row claims OHLC but open/low are NaN
    report = validate_bars(frame)
    assert {(i.rule, i.row) for i in report.errors} == {(Rule.NON_FINITE_PRICE, 2)}
    assert len(report.errors) == 2  # open and low


def test_high_below_low_is_reported_once_without_range_noise():
    frame = ohlc_bars()
    frame.loc[3, ["high", "low"]] = [99.0, 104.0]
    assert rules_at(validate_bars(frame)) == {(Rule.HIGH_BELOW_LOW, 3)}


@pytest.mark.parametrize(("column", "rule"), [("open", Rule.OPEN_OUTSIDE_RANGE), ("close", Rule.CLOSE_OUTSIDE_RANGE)])
def test_open_or_close_outside_the_bar_range_is_an_error(column, rule):
    frame = ohlc_bars()
    frame.loc[1, column] = frame.loc[1, "high"] + 0.01
    assert (rule, 1) in rules_at(validate_bars(frame))


def test_duplicate_timestamp_flags_the_repeat():
    frame = ohlc_bars()
    frame.loc[3, "ts"] = frame.loc[2, "ts"]
    report = validate_bars(frame)
    assert (Rule.DUPLICATE_TIMESTAMP, 3) in rules_at(report)


def test_unsorted_timestamps_flag_the_row_that_goes_back_in_time():
    frame = ohlc_bars()
    frame.loc[[1, 2], "ts"] = frame.loc[[2, 1], "ts"].to_numpy()
    assert (Rule.UNSORTED_TIMESTAMP, 2) in rules_at(validate_bars(frame))


def test_symbols_out_of_order_are_unsorted():
    frame = pd.concat([ohlc_bars("BBB"), ohlc_bars("AAA")], ignore_index=True)
    assert (Rule.UNSORTED_TIMESTAMP, 5) in rules_at(validate_bars(frame))


def test_naive_timestamp_column_is_an_error():
    frame = ohlc_bars()
    frame["ts"] = frame["ts"].dt.tz_localize(None)
    assert [i.rule for i in validate_bars(frame).errors] == [Rule.NAIVE_TIMESTAMP]


def test_non_utc_timestamp_column_is_an_error():
    frame = ohlc_bars()
    frame["ts"] = frame["ts"].dt.tz_convert("America/New_York")
    assert Rule.NON_UTC_TIMESTAMP in {i.rule for i in validate_bars(frame).errors}


def test_one_naive_timestamp_in_an_object_column_names_its_row():
    frame = ohlc_bars()
    stamps = list(frame["ts"])
    stamps[3] = stamps[3].tz_localize(None)
    frame["ts"] = pd.Series(stamps, dtype=object)
    assert {(i.rule, i.row) for i in validate_bars(frame).errors} == {(Rule.NAIVE_TIMESTAMP, 3)}


def test_missing_timestamp_is_an_error():
    frame = ohlc_bars()
    frame.loc[2, "ts"] = pd.NaT
    assert (Rule.MISSING_TIMESTAMP, 2) in rules_at(validate_bars(frame))


def test_missing_columns_are_named():
    report = validate_bars(ohlc_bars().drop(columns=["volume", "low"]))
    assert [i.rule for i in report.errors] == [Rule.MISSING_COLUMN]
    assert "volume" in report.errors[0].detail and "low" in report.errors[0].detail


def test_jump_above_forty_percent_warns_of_unadjusted_split():
    frame = closes_only()
    frame.loc[3:, "close"] = frame.loc[3:, "close"] / 2  # a 2:1 split left unadjusted
    report = validate_bars(frame)
    assert report.ok
    assert rules_at(report) == {(Rule.SUSPICIOUS_JUMP, 3)}
    assert "split" in report.warnings[0].detail


def test_jump_is_not_measured_across_symbols():
    frame = pd.concat([ohlc_bars("AAA"), closes_only("BBB").assign(close=lambda f: f["close"] * 10)],
                      ignore_index=True)
    assert validate_bars(frame).issues == ()


def test_missing_sessions_are_one_warning_per_gap():
    frame = ohlc_bars(n=10).drop(index=[3, 4, 7]).reset_index(drop=True)
    report = validate_bars(frame)
    gaps = [i for i in report.warnings if i.rule is Rule.CALENDAR_GAP]
    assert report.ok and len(gaps) == 2
    assert gaps[0].detail.startswith("2 missing") and gaps[1].detail.startswith("1 missing")
    assert gaps[0].row == 3  # the first bar after the gap
    assert validate_bars(frame, calendar=None).issues == ()


def test_bar_on_a_weekend_warns_off_calendar():
    frame = ohlc_bars(start="2024-01-02", n=4)  # Tue..Fri
    extra = frame.iloc[[-1]].assign(ts=pd.Timestamp("2024-01-06", tz="UTC"))  # Saturday
    report = validate_bars(pd.concat([frame, extra], ignore_index=True))
    assert rules_at(report) == {(Rule.OFF_CALENDAR, 4)}


def test_ensure_valid_raises_naming_symbol_row_timestamp_and_rule():
    frame = two_symbols()
    frame.loc[6, "high"] = 50.0
    with pytest.raises(DataError) as caught:
        ensure_valid(frame)
    message = str(caught.value)
    assert "BBB" in message and "row 6" in message and "2024-01-03" in message
    assert "high_below_low" in message
    issues = caught.value.details["issues"]
    assert issues[0]["row"] == 6 and issues[0]["rule"] == "high_below_low"
    assert caught.value.details["issue_count"] == len(issues)


def test_ensure_valid_returns_report_with_warnings_only():
    frame = closes_only()
    frame.loc[2:, "close"] = frame.loc[2:, "close"] * 3
    report = ensure_valid(frame)
    assert report.ok and len(report.warnings) == 1


def test_report_to_dict_is_json_ready():
    frame = ohlc_bars()
    frame.loc[1, "volume"] = -5.0
    data = validate_bars(frame).to_dict()
    assert data["ok"] is False and data["error_count"] == 1
    assert data["issues"][0] == {
        "symbol": "AAA", "ts": frame.loc[1, "ts"].isoformat(), "row": 1,
        "rule": "negative_volume", "severity": "error", "detail": "volume = -5.0",
    }


def test_empty_frame_is_valid():
    assert validate_bars(ohlc_bars().iloc[0:0]).ok
