"""The pure rules: how a research request is counted against the work budget, which characters no input may
hold, and the one symbol type."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from errors import DataError
from guardrails.input_text import unsafe_character
from quant.data.symbols import Symbol, check_symbol
from services.research.budget import WorkBudget, WorkBudgetExceeded, WorkEstimate, combinations


def test_a_crossover_grid_counts_only_its_valid_fast_below_slow_pairs():
    assert combinations("sma_crossover", {"fast": list(range(5, 55, 5)), "slow": list(range(20, 210, 10))}) == 174
    assert combinations("sma_crossover", {"fast": list(range(1, 101)), "slow": list(range(1, 101))}) == 4950


def test_any_other_grid_counts_its_full_product_without_expanding_it():
    huge = {"a": list(range(1000)), "b": list(range(1000)), "c": list(range(1000))}

    assert combinations("rsi_reversion", huge) == 1_000_000_000


def test_an_estimate_over_the_budget_is_refused_naming_estimate_budget_and_setting():
    with pytest.raises(WorkBudgetExceeded) as refused:
        WorkBudget(40_000_000, 10).check(WorkEstimate("grid", 4950, 1, 8313))

    assert str(refused.value).startswith("this grid is 41,149,350 cells of work (4,950 combinations × 1 symbol × "
                                         "8,313 bars); the budget is 40,000,000 cells")
    assert "QUANTPILOT_RESEARCH_MAX_CELLS" in str(refused.value)
    assert refused.value.details["estimate"]["cells"] == 41_149_350


def test_monte_carlo_is_counted_in_paths_times_bars_against_its_own_budget():
    budget = WorkBudget(max_cells=1, max_path_cells=1_000_000)

    assert budget.check(WorkEstimate("monte_carlo", 1, 1, 100, 10_000)).cells == 1_000_000
    with pytest.raises(WorkBudgetExceeded, match="10,001 paths × 100 bars.*QUANTPILOT_RESEARCH_MAX_PATH_CELLS"):
        budget.check(WorkEstimate("monte_carlo", 1, 1, 100, 10_001))


@pytest.mark.parametrize("text, found", [
    ("plain text, with\ttabs\nand lines\r\n", None), ("emoji 👍🏽 and accents é", None),
    ("nul\x00", "U+0000"), ("bell\x07", "U+0007"), ("del\x7f", "U+007F"), ("c1\x85", "U+0085"),
    ("rlo\u202e", "U+202E"), ("isolate\u2066", "U+2066"), ("mark\u200f", "U+200F"), ("lone\ud800", "U+D800"),
])
def test_control_and_bidirectional_characters_are_found_and_ordinary_text_is_not(text, found):
    assert unsafe_character(text) == found


class _Order(BaseModel):
    symbol: Symbol


@pytest.mark.parametrize("raw, stored", [("aapl", "AAPL"), (" BRK-B ", "BRK-B"), ("^GSPC", "^GSPC"),
                                         ("EURUSD=X", "EURUSD=X"), ("A" * 16, "A" * 16)])
def test_the_symbol_type_accepts_tickers_and_stores_them_upper_case(raw, stored):
    assert _Order(symbol=raw).symbol == stored
    assert check_symbol(raw) == stored


@pytest.mark.parametrize("raw", ["A" * 17, "<b>X</b>", "AA\u202ePL", "AAPL\x00", "DROP TABLE", "", "ÄPFEL"])
def test_the_symbol_type_refuses_anything_else_everywhere(raw):
    with pytest.raises(ValidationError):
        _Order(symbol=raw)
    with pytest.raises(DataError, match="is not a ticker symbol"):
        check_symbol(raw, where="line 7")
