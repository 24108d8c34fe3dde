"""Breakers, kill switch and resume; the execution gate and the gated broker; limit-change approvals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from errors import ApprovalError, ConfigError
from guardrails.limits import (
    Approval,
    ApprovalScope,
    ApprovalStatus,
    Authorized,
    Denied,
    DenyCode,
    ExecutionGate,
    GatedBroker,
    apply,
    propose_change,
)
from guardrails.risk_policy import Book, RiskLimits
from guardrails.trading_state import TradingState, check_breakers, engage_kill_switch, resume, start_session
from quant.execution.broker import BrokerMode
from quant.execution.exactly_once import InMemoryOrderOutbox
from quant.execution.orders import OrderIntent, OrderStatus
from quant.execution.simulated import SimulatedBroker
from quant.risk.decision import Approved, RejectCode, Rejected, TradingStatus

TS = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)
GATE = ExecutionGate()
INTENT = OrderIntent(symbol="AAPL", side="buy", qty=5, strategy_id="sma", decision_key="d1")
PASSED = Approved(INTENT.client_order_id, TradingStatus.ACTIVE)
STAGE_PAPER = Approval("ap-1", ApprovalScope.STAGE, "sma", ApprovalStatus.APPROVED, "alice", BrokerMode.PAPER)
ACTIVE = TradingState()


def authorize(**kw):
    args = dict(risk_decision=PASSED, approval=STAGE_PAPER, trading_state=ACTIVE, mode=BrokerMode.PAPER,
                live_enabled=False) | kw
    return GATE.authorize(INTENT, **args)


def test_daily_loss_breaker_moves_to_reducing_until_the_next_session():
    losing = Book.marked(97_500, {}, {}, day_start_equity_usd=100_000)
    state = check_breakers(ACTIVE, losing, daily_loss_limit_pct=2, max_drawdown_pct=10, session=date(2024, 3, 1),
                           ts=TS)
    assert state.status is TradingStatus.REDUCING
    assert state.events[-1].from_status is TradingStatus.ACTIVE and "2.50%" in state.events[-1].reason
    assert start_session(state, date(2024, 3, 1), TS).status is TradingStatus.REDUCING
    assert start_session(state, date(2024, 3, 4), TS).status is TradingStatus.ACTIVE


def test_drawdown_breaker_halts_and_only_an_approved_resume_leaves_halted():
    deep = Book.marked(88_000, {}, {}, peak_equity_usd=100_000)
    state = check_breakers(ACTIVE, deep, daily_loss_limit_pct=2, max_drawdown_pct=10, session=date(2024, 3, 1),
                           ts=TS)
    assert state.status is TradingStatus.HALTED
    assert start_session(state, date(2024, 3, 4), TS).status is TradingStatus.HALTED
    with pytest.raises(ApprovalError):
        resume(state, "", ts=TS)
    resumed = resume(state, "ap-9", ts=TS)
    assert resumed.status is TradingStatus.ACTIVE and resumed.events[-1].approval_id == "ap-9"


def test_kill_switch_cancels_open_orders_and_returns_flatten_orders_only_those_pass_the_gate():
    broker = SimulatedBroker({"AAPL": 100, "MSFT": 50}, clock=lambda: TS)
    resting = broker.place_order(OrderIntent(symbol="MSFT", side="buy", qty=1, strategy_id="s", decision_key="r",
                                             order_type="limit", limit_price=40))
    result = engage_kill_switch(ACTIVE, reason="operator", ts=TS, open_orders=broker.orders,
                                positions={"AAPL": Decimal(7), "MSFT": Decimal(-3)}, flatten=True)
    assert result.state.status is TradingStatus.HALTED
    assert [c.client_order_id for c in result.cancels] == [resting.client_order_id]
    assert [(f.symbol, f.side.value, f.qty) for f in result.flattens] == [("AAPL", "sell", 7), ("MSFT", "buy", 3)]
    flat = result.flattens[0]
    kill_approval = Approval("ap-k", ApprovalScope.KILL_SWITCH, result.state.halt_id, ApprovalStatus.APPROVED, "bob")
    ok = GATE.authorize(flat, risk_decision=Approved(flat.client_order_id, TradingStatus.HALTED, True),
                        approval=kill_approval, trading_state=result.state, mode=BrokerMode.PAPER)
    assert isinstance(ok, Authorized)
    denied = authorize(trading_state=result.state, approval=kill_approval)
    assert isinstance(denied, Denied) and denied.code is DenyCode.TRADING_HALTED


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"risk_decision": Rejected(INTENT.client_order_id, (RejectCode.FAT_FINGER,))}, DenyCode.RISK_NOT_PASSED),
    ({"risk_decision": Approved("qp-other", TradingStatus.ACTIVE)}, DenyCode.RISK_DECISION_MISMATCH),
    ({"approval": None}, DenyCode.APPROVAL_MISSING),
    ({"approval": replace(STAGE_PAPER, status=ApprovalStatus.PENDING)}, DenyCode.APPROVAL_NOT_GRANTED),
    ({"approval": replace(STAGE_PAPER, subject="other")}, DenyCode.APPROVAL_DOES_NOT_COVER),
    ({"mode": BrokerMode.LIVE, "live_enabled": True}, DenyCode.APPROVAL_DOES_NOT_COVER),
    ({"mode": BrokerMode.LIVE, "live_enabled": False,
      "approval": replace(STAGE_PAPER, stage=BrokerMode.LIVE)}, DenyCode.LIVE_DISABLED),
    ({"trading_state": TradingState(TradingStatus.HALTED)}, DenyCode.TRADING_HALTED),
    ({"trading_state": TradingState(TradingStatus.REDUCING)}, DenyCode.STALE_RISK_DECISION),
])
def test_gate_denies_unless_risk_approval_state_and_live_switch_all_allow(kwargs, code):
    decision = authorize(**kwargs)
    assert isinstance(decision, Denied) and decision.code is code and decision.detail


def test_gate_authorizes_live_only_with_live_stage_approval_and_live_enabled():
    live = authorize(mode=BrokerMode.LIVE, live_enabled=True, approval=replace(STAGE_PAPER, stage=BrokerMode.LIVE))
    assert isinstance(live, Authorized) and live.mode is BrokerMode.LIVE
    order_approval = Approval("ap-2", ApprovalScope.ORDER, INTENT.client_order_id, ApprovalStatus.APPROVED, "c")
    assert isinstance(authorize(approval=order_approval), Authorized)


def test_gated_broker_submits_authorized_orders_once_and_refuses_forgeries():
    broker = SimulatedBroker({"AAPL": 100}, clock=lambda: TS, mode=BrokerMode.PAPER)
    gated = GatedBroker(broker, InMemoryOrderOutbox())
    authorized = authorize()
    assert gated.submit(authorized).status is OrderStatus.FILLED
    assert gated.submit(authorized).status is OrderStatus.FILLED
    assert broker.placed_client_order_ids == [INTENT.client_order_id]
    with pytest.raises(ApprovalError):
        Authorized(intent=INTENT, mode=BrokerMode.PAPER, approval_id=None, seal="x")
    bigger = replace(INTENT, qty=Decimal(500), client_order_id="")
    with pytest.raises(ApprovalError):
        gated.submit(replace(authorized, intent=bigger))
    with pytest.raises(ApprovalError):
        GatedBroker(SimulatedBroker({"AAPL": 1}, mode=BrokerMode.LIVE), InMemoryOrderOutbox()).submit(authorized)
    assert len(broker.placed_client_order_ids) == 1


def test_limit_change_needs_an_approval_by_someone_else():
    proposal = propose_change(RiskLimits(), {"max_open_positions": 12}, requested_by="alice")
    assert proposal.changes == {"max_open_positions": (10, 12)}
    with pytest.raises(ApprovalError):
        apply(proposal, None)
    pending = Approval("ap-3", ApprovalScope.RISK_LIMIT, proposal.proposal_id, ApprovalStatus.PENDING, "bob")
    with pytest.raises(ApprovalError):
        apply(proposal, pending)
    with pytest.raises(ApprovalError):
        apply(proposal, replace(pending, status=ApprovalStatus.APPROVED, approver="alice"))
    with pytest.raises(ApprovalError):
        apply(proposal, replace(pending, status=ApprovalStatus.APPROVED, subject="limits-other"))
    limits, applied = apply(proposal, replace(pending, status=ApprovalStatus.APPROVED))
    assert limits.max_open_positions == 12 and applied.status.value == "applied"
    with pytest.raises(ApprovalError):
        apply(applied, replace(pending, status=ApprovalStatus.APPROVED))


@pytest.mark.parametrize(("changes", "field"), [({"max_drawdown_pct": 30}, "max_drawdown_pct"),
                                                 ({"max_leverage": 3}, "max_leverage")])
def test_out_of_range_or_unknown_limit_change_is_refused_at_proposal(changes, field):
    with pytest.raises(ConfigError) as err:
        propose_change(RiskLimits(), changes, requested_by="alice")
    assert err.value.details["field"] == field


def test_a_second_kill_switch_at_the_same_instant_issues_fresh_flatten_ids():
    first = engage_kill_switch(ACTIVE, reason="op", ts=TS, open_orders=(), positions={"AAPL": Decimal(5)},
                               flatten=True)
    second = engage_kill_switch(first.state, reason="op", ts=TS, open_orders=(), positions={"AAPL": Decimal(5)},
                                flatten=True)
    assert first.state.halt_id != second.state.halt_id
    assert first.flattens[0].client_order_id != second.flattens[0].client_order_id
