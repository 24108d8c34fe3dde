"""Single-order approvals: ``paper_order`` is accepted while live trading is off, ``live_order`` keeps the
live rules, and an order approval holds only while its subject still names the same intent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from guardrails.approvals import (
    ApprovalDecision,
    ApprovalRequest,
    RevalidationCode,
    Verdict,
    check_approver,
    revalidate,
)
from quant.execution.orders import OrderIntent

NOW = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)


def _subject(**changes) -> dict:
    intent = OrderIntent(symbol="AAPL", side="buy", qty="10", strategy_id="manual", decision_key="k-1")
    subject = {"order_intent_hash": intent.client_order_id, "symbol": "AAPL", "side": "buy", "qty": "10",
               "strategy_id": "manual", "decision_key": "k-1", "order_type": "market", "time_in_force": "day"}
    return {**subject, **changes}


def _request(kind: str, subject: dict) -> ApprovalRequest:
    return ApprovalRequest(kind=kind, subject=subject, requester="alice", channel="cli", created_at=NOW,
                           expires_at=NOW + timedelta(hours=1))


def _decision(request: ApprovalRequest, approver: str) -> ApprovalDecision:
    return ApprovalDecision(approval_id=request.id, verdict=Verdict.APPROVED, approver=approver, channel="cli",
                            decided_at=NOW)


def test_a_paper_order_approval_holds_while_live_trading_is_off_but_never_from_the_requester():
    request = _request("paper_order", _subject())
    assert check_approver(request, "bob", live_trading_enabled=False) is None
    assert revalidate(request, _decision(request, "bob"), now=NOW, current=None, live_trading_enabled=False) is None
    own = check_approver(request, "alice", live_trading_enabled=False)
    assert own is not None and own.code is RevalidationCode.SELF_APPROVAL


def test_only_the_explicit_single_user_setting_lets_a_requester_decide_their_own_request():
    request = _request("paper_order", _subject())
    assert check_approver(request, "alice", live_trading_enabled=False, allow_self_approval=True) is None


def test_a_live_order_approval_still_needs_live_trading_and_another_approver():
    request = _request("live_order", _subject())
    off = check_approver(request, "bob", live_trading_enabled=False)
    assert off is not None and off.code is RevalidationCode.LIVE_TRADING_DISABLED
    own = check_approver(request, "alice", live_trading_enabled=True)
    assert own is not None and own.code is RevalidationCode.SELF_APPROVAL
    assert check_approver(request, "bob", live_trading_enabled=True) is None


def test_an_order_approval_whose_fields_no_longer_derive_its_hash_is_invalid_on_resume():
    request = _request("paper_order", _subject(qty="100"))  # hash of 10 shares, fields say 100
    problem = revalidate(request, _decision(request, "bob"), now=NOW, current=None, live_trading_enabled=False)
    assert problem is not None and problem.code is RevalidationCode.INTENT_MISMATCH


def test_a_paper_order_approval_needs_the_intent_hash():
    with pytest.raises(ValueError, match="order_intent_hash"):
        _request("paper_order", {"symbol": "AAPL"})


def test_an_expired_paper_order_approval_is_refused():
    request = _request("paper_order", _subject())
    later = NOW + timedelta(hours=2)
    problem = revalidate(request, _decision(request, "bob"), now=later, current=None, live_trading_enabled=False)
    assert problem is not None and problem.code is RevalidationCode.EXPIRED
