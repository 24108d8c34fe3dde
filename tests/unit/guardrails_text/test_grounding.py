"""Symbol grounding against the instruments we hold."""

from __future__ import annotations

from guardrails.grounding import ground_symbols

KNOWN = {"AAPL", "MSFT", "SPY", "QQQ", "BRK.B", "GOOGL", "GOOG", "AMZN", "TLT"}


def test_known_symbols_are_grounded_case_insensitively_in_input_order():
    result = ground_symbols(["msft", " spy ", "AAPL"], KNOWN)
    assert result.ok and result.code is None
    assert result.symbols == ("MSFT", "SPY", "AAPL")


def test_a_misspelled_symbol_is_unknown_with_the_close_match_offered():
    result = ground_symbols(["APPL", "SPY"], KNOWN)
    assert not result.ok and result.code == "unknown_symbol"
    assert result.symbols == ("SPY",)
    [unknown] = result.unknown
    assert unknown.symbol == "APPL"
    assert unknown.suggestions == ("AAPL",)
    assert result.message() == "unknown symbol: APPL (did you mean AAPL?)"
    assert result.details == {"unknown": {"APPL": ["AAPL"]}}


def test_an_unrelated_symbol_gets_no_suggestion():
    result = ground_symbols(["XYZQW"], KNOWN)
    assert [(u.symbol, u.suggestions) for u in result.unknown] == [("XYZQW", ())]
    assert result.message() == "unknown symbol: XYZQW"


def test_share_class_separators_are_equivalent_and_the_known_spelling_is_returned():
    result = ground_symbols(["BRK-B", "brk/b"], KNOWN)
    assert result.ok
    assert result.grounded == {"BRK-B": "BRK.B", "BRK/B": "BRK.B"}


def test_duplicates_and_blanks_are_ignored():
    result = ground_symbols(["SPY", "spy", "", "  "], KNOWN)
    assert result.symbols == ("SPY",) and result.ok


def test_empty_known_set_makes_every_symbol_unknown():
    result = ground_symbols(["SPY"], set())
    assert [u.symbol for u in result.unknown] == ["SPY"] and result.unknown[0].suggestions == ()


def test_suggestions_are_ranked_by_similarity():
    result = ground_symbols(["GOOGLE"], KNOWN)
    assert result.unknown[0].suggestions[:2] == ("GOOGL", "GOOG")
