"""Risk limits change only through an approval by someone else; reconciliation reports and alerts;
the daily summary adds up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.execution.conftest import count, intent
from tests.support.people import ALICE, BOB, CAROL, via


def test_risk_limit_change_applies_only_after_another_person_approves(database):
    from errors import ApprovalError, PermissionDenied
    from memory.approvals import ApprovalStore
    from services.approvals import ApprovalService
    from services.limits import LimitService

    limits = LimitService(database)
    proposal, approval_id, _ = limits.propose(BOB, {"max_open_positions": 7})
    approvals = ApprovalService(ApprovalStore(database))

    with pytest.raises(ApprovalError):
        limits.apply(BOB, proposal.proposal_id)  # pending
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        approvals.approve(BOB, approval_id)  # the requester approving his own change
    assert approvals.show(BOB, approval_id).status == "pending"
    assert limits.view(BOB)[0].max_open_positions == 10

    approvals.approve(via(ALICE, "slack"), approval_id)
    applied = limits.apply(BOB, proposal.proposal_id)

    assert applied.max_open_positions == 7 and limits.view(BOB)[0].max_open_positions == 7
    assert limits.view(BOB)[1] == []


def test_out_of_range_limit_is_refused_naming_the_field(database):
    from errors import ConfigError
    from services.limits import LimitService

    with pytest.raises(ConfigError, match="max_drawdown_pct"):
        LimitService(database).propose(BOB, {"max_drawdown_pct": 50})
    assert count(database, "risk_limit_proposals") == 0 and count(database, "approval_requests") == 0


def test_reconcile_matches_after_trading_and_alerts_on_a_discrepancy(database, service, bars, paper_strategy):
    from sqlalchemy import text

    service.place(BOB, intent(qty=10))
    clean = service.reconcile(BOB)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE positions SET qty = 9 WHERE symbol = 'AAA'"))

    broken = service.reconcile(BOB)

    assert clean.matched and clean.expected == {"AAA": Decimal(10)}
    assert not broken.matched
    assert broken.discrepancies == ({"symbol": "AAA", "expected": "10", "actual": "9", "difference": "-1"},)
    assert count(database, "events", "kind = 'SystemAlert'") == 1


def test_daily_summary_reports_pnl_positions_and_pending_approvals(database, service, broker, clock, bars,
                                                                   paper_strategy):
    from datetime import timedelta

    from services.daily_summary import generate_daily_summary

    service.place(BOB, intent(qty=10))
    service.place(BOB, intent(qty=4, side="sell", key="s"))
    service.kill_switch_on(CAROL, reason="eod")
    service.request_resume(CAROL, reason="tomorrow")

    summary = generate_daily_summary(service, BOB, alerts_since=clock.now - timedelta(days=1))

    ledger = broker.ledger()
    account = broker.get_account()
    assert summary.realized_pnl == ledger["realized_pnl_usd"]
    # equity = start + realized + unrealized - fees
    assert abs(summary.total_pnl - ledger["fees_paid_usd"]
               - (account.equity_usd - ledger["starting_cash_usd"])) < Decimal("0.000001")
    assert [(p.symbol, p.quantity) for p in summary.positions] == [("AAA", Decimal(6))]
    assert summary.trading_state == "HALTED"
    assert len(summary.pending_approvals) == 1
    assert summary.alerts_by_severity["warning"] >= 1


def test_daily_summary_marks_positions_like_the_account_when_the_last_bar_is_months_old(
        database, service, broker, clock, bars, paper_strategy):
    """A replay or a holiday leaves the newest bar far behind the clock: the summary still marks positions at
    the broker's price (the one its equity uses), so its P&L and the account's equity tell the same story."""
    from datetime import timedelta

    from services.daily_summary import generate_daily_summary

    service.place(BOB, intent(qty=10))
    clock.now += timedelta(days=90)

    summary = generate_daily_summary(service, BOB)

    ledger, account = broker.ledger(), broker.get_account()
    assert abs(summary.total_pnl - ledger["fees_paid_usd"]
               - (account.equity_usd - ledger["starting_cash_usd"])) < Decimal("0.000001")
    (position,) = summary.positions
    assert position.market_value == position.quantity * broker.mark("AAA")
    assert summary.unrealized_pnl != 0, "bought with slippage above the close: marked below cost"


def test_exposure_marks_at_the_last_close_however_old_like_the_account(database, service, broker, clock, bars,
                                                                      settings, paper_strategy):
    """With the newest bar months behind ``as_of`` the exposure tool used to fall back to the entry price,
    hiding the position's loss; it now marks at the last stored close, as the paper broker's equity does."""
    from datetime import timedelta

    from tools import ToolContext, all_tools

    service.place(BOB, intent(qty=10))
    clock.now += timedelta(days=90)
    ctx = ToolContext(settings=settings, database=database, clock=clock, broker=broker)

    exposure = all_tools(ctx)["compute_portfolio_exposure"].invoke({})["summary"]

    assert exposure["equity_usd"] == pytest.approx(float(broker.get_account().equity_usd))
    assert exposure["gross_exposure_usd"] == pytest.approx(float(10 * broker.mark("AAA")))
