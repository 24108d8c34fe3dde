"""The answer writer: every result type reads as plain language, numbers formatted for people and quoted only
from the result (the grounding check accepts every answer), never a ``key=value`` dump or a Python repr.

``tool_results.json`` holds real results of the tools on the bundled prices (captured once, trimmed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agents.answers import ToolOutcome, describe_call, write_answer, write_one
from guardrails.output_check import check_numbers

RESULTS = json.loads(Path(__file__).with_name("tool_results.json").read_text())
DUMP = re.compile(r"\b[a-z_][\w.\[\]]*=\S|\{'|\['|\bNone\b|\d+\.\d{5,}")


def answer(name: str, payload: dict | None = None, **args) -> str:
    return write_one(ToolOutcome(name, RESULTS[name] if payload is None else payload, args))


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_every_result_reads_as_text_with_only_the_results_numbers(name):
    text = answer(name)
    assert text and not DUMP.search(text), text
    assert check_numbers(text, [RESULTS[name]]) == []


def test_a_backtest_answer_names_the_run_what_ran_its_figures_and_the_next_step():
    lines = answer("backtest_strategy").split("\n")
    assert lines[0] == "Backtest run 2: sma_crossover (fast 10, slow 50) on AAPL and MSFT, 2015-01-02 to 2022-12-28."
    assert lines[1] == ("Total return +184.58%, CAGR +14.00%, Sharpe 0.85, max drawdown 24.11%, 51 trades, "
                        "win rate 49.0%.")
    assert lines[2] == "Final equity $284,575.43."
    assert '"promote run 2 to backtested"' in lines[3]


def test_a_backtest_answer_says_the_costs_it_assumed_as_the_cli_does():
    result = RESULTS["backtest_strategy"]
    costs = {"initial_capital": 50000.0, "commission_per_order": 0.0, "commission_per_share": 0.005,
             "commission_bps": 0.0, "slippage_bps": 5.0}
    payload = {**result, "summary": {**result["summary"], "costs": costs}}
    text = answer("backtest_strategy", payload)
    assert "Costs: starting capital $50,000.00 · commission $0.005 per share · slippage 5 bps." in text
    assert check_numbers(text, [payload]) == []  # a model quoting them is grounded too


def test_a_walk_forward_answer_says_out_of_sample_folds_and_the_overfitting_check():
    text = answer("run_walk_forward")
    assert text.startswith("Walk-forward run 3 (out of sample, 20 folds): sma_crossover (fast 10, slow 50) on AAPL")
    assert "Overfitting check: deflated Sharpe (p) 0.99, 1 parameter set tried." in text
    assert "p=0.99" not in text  # the verdict string is not echoed


def test_a_monte_carlo_answer_gives_the_median_the_range_and_the_chance_of_a_loss():
    text = answer("run_monte_carlo")
    assert "Final equity: median $279,725.83 (5th to 95th percentile $135,782.46 to $545,180.19)" in text
    assert "Max drawdown: median 26.55%, 95th percentile 41.52%." in text
    assert text.endswith("Probability of ending with a loss: 1.5%.")


def test_a_comparison_is_a_table_and_names_the_best_run_per_figure():
    head, header, *rows = answer("compare_runs").split("\n")
    assert head == "Runs 2 and 3 side by side (best Sharpe: run 2; best total return: run 3; shallowest drawdown: " \
                   "run 2):"
    assert header.split()[:4] == ["run", "kind", "strategy", "Sharpe"]
    assert rows[1].split() == ["3", "walkforward", "sma_crossover", "0.77", "+271.29%", "27.71%", "41"]
    assert max(len(line) for line in rows) <= 80


def test_an_optimisation_lists_weights_largest_first_with_the_expected_figures():
    text = answer("optimize_portfolio")
    assert text.split("\n")[:3] == ["HRP weights for JNJ, MSFT and AAPL (prices up to 2022-12-28):",
                                    "symbol  weight", "JNJ     66.80%"]
    assert text.endswith("Expected return +15.46%, volatility 19.85%, Sharpe 0.78.")


def test_an_optimisation_with_dollars_shows_the_whole_shares_and_the_cash_left_as_the_cli_does():
    result = RESULTS["optimize_portfolio"]
    payload = {**result, "summary": {**result["summary"], "run_id": 5, "allocation": {
        "shares": {"JNJ": 211, "MSFT": 41, "AAPL": 40}, "invested_value": 49_900.231999999996,
        "leftover_cash": 99.76800000000367, "total_value": 50_000.0}}}
    lines = answer("optimize_portfolio", payload).split("\n")
    assert lines[0] == "HRP weights (run 5) for JNJ, MSFT and AAPL (prices up to 2022-12-28):"
    assert lines[1].split() == ["symbol", "weight", "shares"] and lines[2].split() == ["JNJ", "66.80%", "211"]
    assert lines[-1] == "Whole shares for $50,000.00: $49,900.23 invested, $99.77 left in cash."


def test_exposure_with_positions_shows_each_symbols_share_of_equity():
    payload = {"status": "ok", "summary": {"equity_usd": 101234.5, "cash_usd": 60000.0, "n_positions": 2,
                                           "gross_exposure_usd": 41234.5, "net_exposure_usd": 41234.5,
                                           "gross_exposure_pct": 40.73, "by_symbol_pct": {"AAPL": 30.1, "MSFT": 10.63},
                                           "max_capital_deployed_pct": 80.0}}
    text = answer("compute_portfolio_exposure", payload)
    assert text.startswith("Equity $101,234.50, cash $60,000.00; gross exposure $41,234.50 (40.73% of equity), "
                           "net $41,234.50, 2 open positions.")
    assert "AAPL         30.10%" in text and "Limit: at most 80.00% of equity deployed." in text


def test_limits_read_in_their_units_and_say_how_to_change_one():
    text = answer("get_risk_limits")
    assert "max order notional        $50,000.00" in text and "max open positions        10" in text
    assert "allowed symbols           any symbol with market data" in text
    assert "needs its own approval" in text


def test_a_stress_test_with_positions_names_the_hardest_hit():
    payload = {"status": "ok", "summary": {"shock_pct": -30.0, "equity_usd": 100000.0, "pnl_usd": -9000.0,
                                           "pnl_pct_of_equity": -9.0, "worst": {"AAPL": -6000.0, "MSFT": -3000.0}}}
    assert answer("stress_test", payload) == (
        "A -30% move in every held price would change equity by -$9,000.00 (-9.00% of $100,000.00).\n"
        "Hardest hit: AAPL -$6,000.00, MSFT -$3,000.00.")


def test_the_breaker_check_and_the_kill_switch_say_what_happens_to_trading():
    assert answer("check_kill_switch").startswith("On that equity curve the breakers trip: trading would be halted. "
                                                  "Drawdown 13.64% (halts at 10.00%)")
    engaged = answer("set_kill_switch", {"status": "ok", "summary": {"trading_status": "halted", "halt_id": "h-1",
                                                                     "reason": "now"}})
    assert engaged.startswith("Kill switch engaged: trading is halted (halt h-1)")


def test_a_refused_size_check_lists_each_reason_with_its_figures():
    payload = {"status": "ok", "approved": False, "client_order_id": "qp-1", "codes": ["CONCENTRATION_EXCEEDED"],
               "details": {"CONCENTRATION_EXCEEDED": {"observed": 31.5, "threshold": 25.0, "unit": "pct_of_equity",
                                                      "message": "one symbol would be too large a share"}}}
    text = answer("check_position_size", payload, order={"symbol": "AAPL", "side": "buy", "qty": 200.0})
    assert text == ("The risk policy would refuse buy 200 AAPL:\n- concentration exceeded: one symbol would be too "
                    "large a share (31.50% against a limit of 25.00%)")


def test_orders_positions_and_reconciliation_read_as_sentences_and_tables():
    order = {"status": "ok", "client_order_id": "qp-9", "symbol": "AAPL", "side": "buy", "qty": 10.0,
             "order_status": "filled", "filled_qty": 10.0, "avg_fill_price": 125.6712, "broker_order_id": "b-1"}
    assert answer("check_order_status", order).startswith(
        "Order qp-9 (buy 10 AAPL) is filled: 10 filled at $125.67 on average.")
    book = {"status": "ok", "mode": "paper", "cash_usd": 87432.1, "equity_usd": 100012.0,
            "positions": [{"symbol": "AAPL", "qty": 146.0, "avg_entry_price": 86.1234567}]}
    assert answer("get_positions", book) == ("Paper account: equity $100,012.00, cash $87,432.10, 1 open position:\n"
                                             "symbol  shares  average entry\nAAPL       146         $86.12")
    assert answer("reconcile_positions").startswith("1 difference between what you expected and what the broker holds")


def test_health_summary_and_recall_read_as_sentences():
    health = answer("check_service_health")
    assert health.startswith("All services are healthy: ") and "database ok (embedded)" in health
    assert answer("generate_daily_summary").split("\n")[1] == "Equity $100,000.00, cash $100,000.00, 0 open positions."
    recalled = answer("recall")
    assert recalled.startswith('2 memories closest to "AAPL backtest", best first:')
    assert "(fast 10, slow 50, allow_short False)" in recalled  # a memory stored with "fast=10" is written out


def test_refusals_errors_and_unavailable_tools_say_what_happened_in_words():
    refused = {"status": "refused", "tool": "place_order", "codes": ["UNKNOWN_SYMBOL"],
               "message": "order qp-1 refused by UNKNOWN_SYMBOL: no current price for AAPL at the decision time"}
    assert answer("place_order", refused) == ("Not done (unknown symbol): no current price for AAPL at the decision "
                                              "time.")
    error = {"status": "error", "tool": "backtest_strategy", "code": "config_error",
             "message": "unknown strategy 'macd'; known: ['ema_crossover', 'sma_crossover']"}
    assert answer("backtest_strategy", error) == ("Backtest strategy did not work: unknown strategy 'macd'; known: "
                                                  "ema_crossover, sma_crossover.")
    invalid_args = {"status": "error", "tool": "place_order", "code": "ValidationError",
                    "message": "1 validation error for OrderArgs\nqty\n  Input should be greater than 0 [type=greater_"
                               "than, input_value=0, input_type=int]\n    For further information visit https://x"}
    assert not DUMP.search(answer("place_order", invalid_args))
    assert answer("fetch_news", {"status": "unavailable", "tool": "fetch_news", "reason": "news needs the network"}) \
        == "Fetch news is not available: news needs the network."


def test_human_decisions_say_who_decided_and_what_changed():
    applied = {"status": "approved", "approval_id": "apr_1", "approver": "bob", "comment": None,
               "effect": "stage_transition", "strategy_id": "sma_aapl", "stage": "paper", "version": 1}
    assert answer("request_promotion", applied) == "Approved by bob (approval apr_1): sma_aapl is now at paper " \
                                                   "(version 1)."
    rejected = {"status": "rejected", "approval_id": "apr_1", "approver": "bob", "reason": "drawdown too deep"}
    assert answer("request_promotion", rejected) == ("Rejected by bob (approval apr_1): drawdown too deep. Nothing "
                                                     "was changed.")
    expired = {"status": "approval_invalid", "approval_id": "apr_1", "code": "expired", "details": {}}
    assert answer("request_promotion", expired).startswith("Approval apr_1 was not applied (expired).")


def test_several_results_are_one_paragraph_each_and_a_repeat_is_written_once():
    fresh = ToolOutcome("check_data_freshness", RESULTS["check_data_freshness"])
    bars = ToolOutcome("fetch_historical_data", RESULTS["fetch_historical_data"])
    assert write_answer([fresh, bars, fresh]).count("\n\n") == 1


def test_a_tool_call_is_described_in_words():
    assert describe_call("backtest_strategy", {
        "strategy_config": {"strategy": "sma_crossover", "symbols": ["AAPL", "MSFT"], "params": {"fast": 20}},
        "date_range": {"start": "2015-01-01"}}) == "backtest strategy: sma_crossover (fast 20) on AAPL and MSFT, " \
                                                    "from 2015-01-01"
    assert describe_call("place_order", {"order": {"symbol": "AAPL", "side": "buy", "qty": 10.0}}) == \
        "place order: buy 10 AAPL"
    assert describe_call("get_positions", {}) == "get positions"
    assert describe_call("optimize_portfolio", {
        "method": "black_litterman", "symbols": ["AAPL", "XOM"], "total_value": 50_000.0,
        "views": {"AAPL": (0.12, 0.7), "XOM": (-0.05, 0.4)}}) == "optimize portfolio: method black_litterman, " \
        "symbols AAPL and XOM, total value $50,000.00, views AAPL=12.00%@70%, XOM=-5.00%@40%"
    assert describe_call("optimize_portfolio", {"method": "efficient_risk", "target_volatility": 0.3}) == \
        "optimize portfolio: method efficient_risk, target volatility 30.00%"
