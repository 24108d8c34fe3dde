"""The words every interface uses for a moved market clock and a pre-trade check's verdict."""

from __future__ import annotations

from quant.display.clock import clock_advance_text, clock_text
from quant.display.risk_check import check_verdict, measured

ADVANCE = {"account_id": "paper", "from": "2024-01-30T00:00:00+00:00", "to": "2024-02-01T00:00:00+00:00",
           "sessions": 2, "fills": [{"symbol": "AAA"}], "equity_before_usd": "100000.00",
           "equity_after_usd": "99750.5", "trading_state": "active", "reason": "", "release": ""}


def test_an_advance_says_the_dates_sessions_fills_and_the_equity_change():
    assert clock_advance_text(ADVANCE) == ("account paper: simulated market 2024-01-30 → 2024-02-01 (2 sessions); "
                                           "1 resting order filled; equity $99,750.50 (-$249.50); trading active")


def test_an_advance_that_trips_a_breaker_says_why_and_how_to_lift_it():
    halted = {**ADVANCE, "trading_state": "halted", "reason": "drawdown breaker: drawdown 12.00%",
              "release": "quantpilot risk reset-breaker request --account paper"}

    lines = clock_advance_text(halted).split("\n")

    assert lines[0].endswith("trading halted")
    assert lines[1] == ("drawdown breaker: drawdown 12.00%. To lift it: quantpilot risk reset-breaker request "
                        "--account paper")


def test_a_clock_line_names_the_account():
    assert clock_text("swing", "real time") == "account swing: real time"


def test_a_passing_check_and_a_refusal_listing_each_reason_with_its_figures():
    refused = {"approved": False, "codes": ["NOTIONAL_CAP_EXCEEDED", "UNKNOWN_SYMBOL"], "reason": "order … refused",
               "details": {"NOTIONAL_CAP_EXCEEDED": {"observed": 931275.68, "threshold": 50000.0, "unit": "usd"},
                           "UNKNOWN_SYMBOL": {"observed": None, "threshold": None, "unit": "symbol",
                                              "message": "no price for ZZZ"}}}

    assert check_verdict({"approved": True, "codes": []}) == "passes the risk policy"
    assert check_verdict(refused) == ("rejected:\n- notional cap exceeded: the order's value is over the cap for one "
                                      "order ($931,275.68 against a limit of $50,000.00)\n- unknown symbol: no price "
                                      "for ZZZ")
    assert check_verdict({"approved": False, "codes": [], "reason": "trading is halted"}) == \
        "rejected: trading is halted"


def test_risk_figures_read_in_their_units():
    assert [measured(25, "pct_of_equity"), measured(1200, "shares"), measured(3, "positions"),
            measured(None, "usd")] == ["25.00%", "1,200 shares", "3 positions", "—"]


def test_a_fat_finger_names_the_price_and_the_last_price():
    refused = {"approved": False, "codes": ["FAT_FINGER"],
               "details": {"FAT_FINGER": {"observed": 61.07, "threshold": 5.0, "unit": "pct_from_last",
                                          "field": "limit_price", "price": 150.0, "last_price": 93.12}}}

    assert check_verdict(refused) == ("rejected:\n- fat finger: the limit price $150.00 is too far from the last "
                                      "price $93.12 (61.07% against a limit of 5.00%)")
