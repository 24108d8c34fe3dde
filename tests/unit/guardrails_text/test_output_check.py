"""Numbers in the final answer must come from tool results (tolerant of formatting)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from guardrails.output_check import check_numbers

RUN = {"run_id": 42, "metrics": {"sharpe": 1.2345, "max_drawdown": -0.1234, "cagr_pct": 8.41, "trades": 37}}


def test_numbers_taken_from_tool_results_pass_in_any_usual_format():
    answer = "Run 42: Sharpe 1.23, max drawdown 12.3% (12.34%, or 0.12 as a fraction), CAGR 8.4% over 37 trades."
    assert check_numbers(answer, [RUN]) == []


def test_a_number_no_tool_returned_is_reported_as_written():
    answer = "The strategy had a Sharpe of 1.87 and a max drawdown of 12.3%."
    assert check_numbers(answer, [RUN]) == ["1.87"]


def test_an_invented_percentage_is_reported():
    assert check_numbers("It returned 23.5% a year.", [RUN]) == ["23.5%"]


def test_an_explicit_sign_must_match_but_prose_may_drop_a_drawdowns_sign():
    assert check_numbers("Drawdown was 12.3%.", [RUN]) == []
    assert check_numbers("Drawdown was -12.3%.", [RUN]) == []
    assert check_numbers("Return was +12.3%.", [RUN]) == ["+12.3%"]


def test_precision_written_sets_the_tolerance():
    assert check_numbers("Sharpe 1.2", [RUN]) == []
    assert check_numbers("Sharpe 1.24", [RUN]) == ["1.24"]  # 1.2345 rounds to 1.23


def test_numbers_in_string_tool_results_count():
    tool_text = 'Backtest finished: {"sharpe": 1.48, "win_rate": 0.5625}'
    assert check_numbers("Sharpe 1.48 with a 56.25% win rate.", [tool_text]) == []
    assert check_numbers("Sharpe 1.49.", [tool_text]) == ["1.49"]


def test_years_dates_counts_and_identifiers_are_not_checked():
    answer = "From 2015-01-02 to 2024-12-31 at 10:30 the SMA_20 strategy v1.2.3 made 412 trades on 3 symbols."
    assert check_numbers(answer, []) == []


def test_basis_points_match_bps_fractions_and_percent():
    tool = {"slippage_bps": 5, "fee_fraction": 0.0003}
    assert check_numbers("Slippage 5 bps, fees 3 bps.", [tool]) == []
    assert check_numbers("Slippage 7 bps.", [tool]) == ["7 bps"]


def test_money_and_thousands_separators_are_parsed():
    tool = {"final_equity": 112345.678}
    assert check_numbers("Final equity $112,345.68.", [tool]) == []
    assert check_numbers("Final equity $112,999.00.", [tool]) == ["$112,999.00"]


def test_each_unsupported_number_is_listed_once_in_order():
    assert check_numbers("2.5% then 9.9% then 2.5% again", []) == ["2.5%", "9.9%"]


def test_multiplier_and_nested_results_are_handled():
    tool = [{"runs": [{"leverage": 1.5}, {"profit_factor": 2.31}]}]
    assert check_numbers("Leverage 1.5x, profit factor 2.31.", tool) == []
    assert check_numbers("Leverage 2.5x.", tool) == ["2.5x"]


@given(st.floats(min_value=-5, max_value=5, allow_nan=False).filter(lambda x: abs(x) > 1e-3))
def test_a_tool_value_never_flags_its_own_usual_renderings(x):
    rendered = [f"{x:.4f}", f"{x:.2f}", f"{x * 100:.2f}%", f"{x * 100:.1f}%"]
    answer = " and ".join(rendered)
    assert check_numbers(answer, [{"value": x}]) == []
