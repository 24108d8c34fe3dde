"""The formatting layer for people: units in names, no raw floats, never an exception on a number."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from quant.display import (
    DASH,
    count,
    day,
    format_metric,
    metric_label,
    metric_lines,
    money,
    number,
    percent,
    percent_points,
    quantity,
    seconds,
    short_id,
    signed_money,
    timestamp,
)


def test_percent_takes_a_fraction_and_shows_two_decimals():
    assert percent(0.1234) == "12.34%"
    assert percent(-0.19869514649999842) == "-19.87%"
    assert percent(0.1234, signed=True) == "+12.34%"
    assert percent(0.5, 0) == "50%"


def test_percent_points_takes_a_value_already_in_percent():
    assert percent_points(15.91) == "15.91%"
    assert percent_points(Decimal("10.0")) == "10.00%"


def test_money_has_separators_cents_and_a_leading_minus():
    assert money(135622.4348545707) == "$135,622.43"
    assert money(-3) == "-$3.00"
    assert money("1479321.0", cents=False) == "$1,479,321"
    assert signed_money(12) == "+$12.00"
    assert signed_money(-0.001) == "$0.00"  # rounds to zero: no sign, no minus zero


def test_counts_are_integers_and_quantities_drop_trailing_zeros():
    assert count(479.0) == "479"
    assert count(1479321.0) == "1,479,321"
    assert quantity(Decimal("146.0000000000")) == "146"
    assert quantity("147.69971234") == "147.6997"
    assert quantity(-0.5) == "-0.5"


def test_dates_have_no_midnight_time_and_moments_are_utc_to_the_second():
    assert day(datetime(2022, 3, 1)) == "2022-03-01"
    assert day("2022-03-01T00:00:00") == "2022-03-01"
    assert day(date(2022, 3, 1)) == "2022-03-01"
    paris = timezone(timedelta(hours=1))
    assert timestamp(datetime(2026, 12, 6, 12, 39, 0, 917, tzinfo=paris)) == "2026-12-06 11:39:00 UTC"
    assert timestamp(datetime(2026, 12, 6, 11, 39, tzinfo=UTC)) == "2026-12-06 11:39:00 UTC"


def test_long_ids_are_shortened_with_an_ellipsis_short_ones_kept():
    assert short_id("qp-3fa9c2d1e0b4a5968778") == "qp-3fa9c2d1e…"
    assert short_id("apr_1a2b3c") == "apr_1a2b3c"


def test_missing_and_non_finite_values_read_as_a_dash():
    for write in (percent, percent_points, money, count, quantity, number):
        assert write(None) == DASH
        assert write(math.nan) == DASH
        assert write(math.inf) == DASH


def test_each_metric_has_one_label_and_unit_everywhere():
    assert format_metric("max_drawdown", 0.158) == "15.80%"
    assert format_metric("max_drawdown_pct", 15.8) == "15.80%"
    assert metric_label("max_drawdown") == metric_label("max_drawdown_pct") == "max drawdown"
    assert format_metric("trade_count", 479.0) == "479"
    assert format_metric("total_return", 1.8458) == "+184.58%"
    assert format_metric("some_new_ratio", 0.123456) == "0.12"


def test_metric_lines_lead_with_the_headline_metrics_in_a_fixed_order():
    lines = metric_lines({"trade_count": 73, "sharpe": 0.35, "max_drawdown": 0.158, "total_return": 0.516,
                          "sortino": 0.5})
    assert lines == [("total return", "+51.60%"), ("Sharpe", "0.35"), ("max drawdown", "15.80%"),
                     ("trades", "73")]


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.none(),
                 st.decimals(allow_nan=True)))
def test_no_formatter_raises_or_shows_more_than_four_decimals(value):
    for text in (percent(value), money(value), count(value), quantity(value), number(value)):
        assert isinstance(text, str) and text
        head, _, tail = text.rstrip("%").partition(".")
        assert len(tail) <= 4


def test_numpy_numbers_read_like_python_numbers():
    import numpy as np

    assert number(np.float64(0.8529)) == "0.85" and percent(np.float64(0.1234)) == "12.34%"
    assert count(np.int64(479)) == "479" and quantity(np.float32(1.5)) == "1.5"
    assert money(np.float64(float("nan"))) == DASH


def test_seconds_read_as_a_duration_in_milliseconds_under_a_second_and_missing_ones_as_a_dash():
    assert seconds(0.0491) == "49 ms"
    assert seconds(17.032) == "17.03 s"
    assert seconds(None) == seconds(float("nan")) == DASH
