"""The approval card says what is asked, by whom, the evidence formatted for people and how to decide, the same
for the graph's interrupt (JSON) and a stored record."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from agents.answers import approval_card
from memory.approvals import ApprovalRecord

PAPER = {
    "id": "apr_0123456789ab", "kind": "paper", "requester": "dana", "channel": "cli", "thread_id": "thr_1",
    "summary": "promote to paper", "created_at": "2026-12-06T12:00:00Z", "expires_at": "2026-12-09T12:00:00Z",
    "subject": {"strategy_id": "sma_crossover_aapl_msft", "version": 1, "params_hash": "abc", "run_id": 3,
                "from_stage": "backtested", "to_stage": "paper"},
    "evidence": {"run": {"run_id": 3, "kind": "walkforward", "status": "done", "strategy": "sma_crossover",
                         "symbols": ["AAPL", "MSFT"]},
                 "oos_sharpe": 0.7695241478117407, "trades": 41, "max_drawdown_pct": 27.7097,
                 "metrics": {"total_return": 2.712944934000009, "cagr": 0.1405329113295526,
                             "sharpe": 0.7695241478117407, "win_rate": 0.5121951219512195}},
}
DUMP = re.compile(r"\b[a-z_][\w.\[\]]*=\S|\{'|\bNone\b|\d+\.\d{5,}")


def test_a_promotion_card_says_what_moves_who_asked_the_evidence_and_how_to_decide():
    card = approval_card(PAPER)

    assert card.title == "Paper trading: move sma_crossover_aapl_msft from backtested to paper"
    assert card.requester == "dana" and card.expires == "2026-12-09 12:00:00 UTC"
    assert dict(card.evidence) == {
        "run": "walk-forward run 3 of sma_crossover on AAPL and MSFT", "out-of-sample Sharpe": "0.77",
        "trades": "41", "max drawdown": "27.71%",
        "results": "total return +271.29%, CAGR +14.05%, Sharpe 0.77, win rate 51.2%"}
    text = card.text()
    assert text.startswith(
        "Approval needed: Paper trading: move sma_crossover_aapl_msft from backtested to paper\n"
        "Asked by dana: promote to paper (approval apr_0123456789ab, expires 2026-12-09 12:00:00 UTC).")
    assert "an approver other than dana answers it" in text
    assert "quantpilot approvals approve apr_0123456789ab " in text and "--as" not in text
    assert "POST /api/v1/approvals/apr_0123456789ab/approve" in text
    assert not DUMP.search(text)


def test_a_stored_record_gives_the_same_card_as_the_interrupt():
    record = ApprovalRecord(**{**PAPER, "created_at": datetime(2026, 12, 6, 12, tzinfo=UTC),
                               "expires_at": datetime(2026, 12, 9, 12, tzinfo=UTC)}, status="pending", outcome=None,
                            closed_at=None, decision=None)
    assert approval_card(record) == approval_card(PAPER)


def test_an_order_card_names_the_order_and_says_the_risk_checks_passed():
    card = approval_card({**PAPER, "kind": "paper_order", "summary": "approval missing", "evidence": {
        "codes": ["APPROVAL_MISSING"], "mode": "paper"}, "subject": {
        "order_intent_hash": "qp-1", "symbol": "AAPL", "side": "buy", "qty": "10.0", "order_type": "market",
        "limit_price": None}})
    assert card.title == "Paper order: buy 10 AAPL (market)"
    assert ("risk checks", "passed; the order waits only for this approval") in card.evidence


def test_a_limit_change_card_shows_each_limit_from_and_to_in_its_unit():
    card = approval_card({**PAPER, "kind": "risk_limit", "evidence": {"current": {"max_open_positions": 10}},
                          "subject": {"limit_change_id": "limits-1", "changes": {
                              "max_open_positions": {"from": 10, "to": 12},
                              "max_order_notional_usd": {"from": "50000", "to": "75000"}}}})
    assert card.title == ("Risk limit change: max open positions 10 to 12 and max order notional $50,000.00 to "
                          "$75,000.00")


def test_a_resume_card_says_trading_resumes_and_why():
    card = approval_card({**PAPER, "kind": "risk_limit", "evidence": {"reason": "drawdown understood",
                                                                      "trading_status": "halted"},
                          "subject": {"limit_change_id": "resume-h1", "action": "resume_trading", "halt_id": "h1",
                                      "status": "halted"}})
    assert card.title == "Resume trading (now halted, halt h1)"
    assert dict(card.evidence) == {"trading now": "halted", "reason given": "drawdown understood"}
