"""Stateful property test of the whole execution path: risk policy -> gate -> gated broker -> outbox.

Random orders, retries, price moves, breaker checks, kill-switch toggles, approval changes, injected
broker failures and restarts. Invariants: no order reaches the broker while HALTED, past a rejection or
without approval; REDUCING never increases exposure; cash + positions + fees conserve value; the same
intent never becomes two broker orders. ``HYPOTHESIS_PROFILE=soak`` (or the soak test) runs >= 10,000 steps.
"""

from __future__ import annotations

import contextlib
import os
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from errors import BrokerError, ConfigError, TemporaryBrokerError
from guardrails.limits import Approval, ApprovalScope, ApprovalStatus, Authorized, ExecutionGate, GatedBroker
from guardrails.risk_policy import Book, MarketSnapshot, RiskLimits, RiskPolicy
from guardrails.trading_state import TradingState, check_breakers, engage_kill_switch, resume, start_session
from quant.execution.broker import BrokerMode
from quant.execution.exactly_once import InMemoryOrderOutbox, recover
from quant.execution.orders import OrderIntent
from quant.execution.simulated import SimulatedBroker
from quant.risk.decision import Approved, TradingStatus

SYMBOLS = ("AAPL", "MSFT", "XOM")
PROFILES = {"default": {"max_examples": 15, "stateful_step_count": 40},
            "soak": {"max_examples": 250, "stateful_step_count": 50}}
STEPS = defaultdict(int)


def _settings(profile: str) -> settings:
    return settings(deadline=None, derandomize=profile == "default", database=None,
                    suppress_health_check=[HealthCheck.too_slow], **PROFILES[profile])


class TradingMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.clock = datetime(2024, 1, 2, 15, 0, tzinfo=UTC)
        self.session = date(2024, 1, 2)
        self.broker = SimulatedBroker({s: 100 for s in SYMBOLS}, cash_usd=100_000, slippage_bps=5,
                                      commission_usd="0.5", commission_bps=1, clock=lambda: self.clock,
                                      mode=BrokerMode.PAPER)
        self.outbox = InMemoryOrderOutbox()
        self.gated = GatedBroker(self.broker, self.outbox)
        self.policy = RiskPolicy(RiskLimits(max_open_positions=5))
        self.gate = ExecutionGate()
        self.state = TradingState()
        self.approval: Approval | None = Approval("ap-stage", ApprovalScope.STAGE, "strat", ApprovalStatus.APPROVED,
                                                  "alice", BrokerMode.PAPER)
        self.kill_approval: Approval | None = None
        self.peak = Decimal(100_000)
        self.day_start = Decimal(100_000)
        self.authorized: dict[str, Authorized] = {}
        self.allowed_ids: set[str] = set()
        self.nonce = 0

    # -- helpers -----------------------------------------------------------------------------
    def book(self) -> Book:
        equity = self.broker.get_account().equity_usd
        self.peak = max(self.peak, equity)
        open_intents = tuple(o.intent for o in self.broker.orders if not o.is_terminal)
        positions = {p.symbol: p.qty for p in self.broker.get_positions()}
        return Book(cash_usd=self.broker.cash_usd, positions=positions, equity_usd=equity,
                    peak_equity_usd=self.peak, day_start_equity_usd=self.day_start, open_orders=open_intents)

    def market(self) -> MarketSnapshot:
        prices = {s: self.broker.last_price(s) for s in SYMBOLS}
        return MarketSnapshot(last_price=prices, adv_shares={s: 1_000_000 for s in SYMBOLS},
                              stop_distance_usd={s: p * Decimal("0.02") for s, p in prices.items()})

    def try_submit(self, intent: OrderIntent) -> None:
        book = self.book()
        before_ids = list(self.broker.placed_client_order_ids)
        committed_before = book.committed_qty(intent.symbol)
        decision = self.policy.check(intent, book, self.market(), self.state)
        approval = self.kill_approval if self.state.allows_flatten(intent.client_order_id) else self.approval
        auth = self.gate.authorize(intent, risk_decision=decision, approval=approval, trading_state=self.state,
                                   mode=BrokerMode.PAPER)
        if isinstance(auth, Authorized):
            assert isinstance(decision, Approved) and approval is not None
            assert self.state.status is not TradingStatus.HALTED or self.state.allows_flatten(
                intent.client_order_id)
            if self.state.status is not TradingStatus.ACTIVE:
                after = committed_before + intent.signed_qty
                assert abs(after) < abs(committed_before), "REDUCING/HALTED order must shrink exposure"
            self.authorized[intent.client_order_id] = auth
            self.allowed_ids.add(intent.client_order_id)
            with contextlib.suppress(BrokerError):
                self.gated.submit(auth)
        else:
            assert self.broker.placed_client_order_ids == before_ids, "a denied order reached the broker"

    # -- rules ---------------------------------------------------------------------------------
    @rule(symbol=st.sampled_from(SYMBOLS), side=st.sampled_from(("buy", "sell")),
          weight_pct=st.sampled_from((1, 5, 10, 20, 24, 30)), limit_offset_pct=st.one_of(st.none(), st.integers(-8, 8)))
    def place_order(self, symbol, side, weight_pct, limit_offset_pct):
        """An order for ``weight_pct`` of equity (30% is above the concentration limit on purpose)."""
        self.nonce += 1
        last = self.broker.last_price(symbol)
        equity = self.broker.get_account().equity_usd
        qty = max(int(equity * weight_pct / 100 / last), 1)
        extra = {} if limit_offset_pct is None else {
            "order_type": "limit", "limit_price": (last * (100 + limit_offset_pct) / 100).quantize(Decimal("0.01"))}
        self.try_submit(OrderIntent(symbol=symbol, side=side, qty=qty, strategy_id="strat",
                                    decision_key=f"n{self.nonce}", **extra))

    @precondition(lambda self: bool(self.authorized))
    @rule(data=st.data())
    def retry_an_authorized_order(self, data):
        cid = data.draw(st.sampled_from(sorted(self.authorized)))
        # ConfigError: recovery abandoned it; a retry must not revive it
        with contextlib.suppress(BrokerError, ConfigError):
            self.gated.submit(self.authorized[cid])

    @rule(symbol=st.sampled_from(SYMBOLS), move_pct=st.integers(-25, 15))
    def move_price_and_check_breakers(self, symbol, move_pct):
        price = self.broker.last_price(symbol) * (100 + move_pct) / 100
        self.broker.set_price(symbol, max(price.quantize(Decimal("0.01")), Decimal("1")))
        self.state = check_breakers(self.state, self.book(), daily_loss_limit_pct=2, max_drawdown_pct=10,
                                    session=self.session, ts=self.clock)

    @rule()
    def next_session(self):
        self.broker.expire_day_orders()
        self.clock += timedelta(days=1)
        self.session += timedelta(days=1)
        self.day_start = self.broker.get_account().equity_usd
        self.state = start_session(self.state, self.session, self.clock)

    @rule(flatten=st.booleans(), pressed=st.integers(0, 3))
    def engage_kill_switch(self, flatten, pressed):
        if pressed:  # the operator hesitates 3 times in 4, so other states get explored too
            return
        result = engage_kill_switch(self.state, reason="test", ts=self.clock, open_orders=self.broker.orders,
                                    positions={p.symbol: p.qty for p in self.broker.get_positions()}, flatten=flatten)
        self.state = result.state
        for cancel in result.cancels:
            self.gated.cancel(cancel.broker_order_id)
        self.kill_approval = Approval("ap-kill", ApprovalScope.KILL_SWITCH, result.state.halt_id,
                                      ApprovalStatus.APPROVED, "bob")
        for intent in result.flattens:
            self.try_submit(intent)

    @precondition(lambda self: self.state.status is not TradingStatus.ACTIVE)
    @rule()
    def resume_with_approval(self):
        self.state = resume(self.state, "ap-resume", ts=self.clock)
        self.peak = self.broker.get_account().equity_usd  # the approver accepts the new high-water mark
        self.day_start = self.peak

    @rule(revoked=st.integers(0, 3))
    def change_stage_approval(self, revoked):
        self.approval = None if revoked == 0 else Approval("ap-stage", ApprovalScope.STAGE, "strat",
                                                          ApprovalStatus.APPROVED, "alice", BrokerMode.PAPER)

    @rule(after_effect=st.booleans(), on_lookup=st.booleans())
    def inject_broker_failure(self, after_effect, on_lookup):
        self.broker.fail_next("place_order", TemporaryBrokerError("injected"), after_effect=after_effect)
        if on_lookup:
            self.broker.fail_next("get_order_by_client_id", TemporaryBrokerError("injected lookup"))

    @rule()
    def restart(self):
        """The process dies and comes back: the outbox and the broker survive, nothing else is trusted."""
        def may_resubmit(intent: OrderIntent) -> bool:
            decision = self.policy.check(intent, self.book(), self.market(), self.state)
            flatten = self.state.allows_flatten(intent.client_order_id)
            auth = self.gate.authorize(intent, risk_decision=decision,
                                       approval=self.kill_approval if flatten else self.approval,
                                       trading_state=self.state, mode=BrokerMode.PAPER)
            return isinstance(auth, Authorized)
        before = len(self.broker.placed_client_order_ids)
        self.broker._failures.clear()  # noqa: SLF001 - a restart drops in-flight failures of the dead process
        recover(self.outbox, self.broker, may_resubmit=may_resubmit)
        if self.state.status is TradingStatus.HALTED:  # only this halt's kill-switch flattens may go out
            new = self.broker.placed_client_order_ids[before:]
            assert all(self.state.allows_flatten(cid) for cid in new)

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def same_intent_never_becomes_two_broker_orders(self):
        STEPS["steps"] += 1
        placed = self.broker.placed_client_order_ids
        assert len(placed) == len(set(placed)) and self.broker.duplicate_attempts == 0

    @invariant()
    def only_gate_authorized_orders_reach_the_broker(self):
        assert set(self.broker.placed_client_order_ids) <= self.allowed_ids

    @invariant()
    def cash_positions_and_fees_conserve_value(self):
        fills = self.broker.fills
        spent = sum((f.signed_qty * f.price + f.fee_usd for f in fills), Decimal(0))
        assert self.broker.cash_usd + spent == self.broker.initial_cash_usd
        for symbol in SYMBOLS:
            assert self.broker.position_qty(symbol) == sum((f.signed_qty for f in fills if f.symbol == symbol),
                                                           Decimal(0))


    def teardown(self) -> None:
        for event in getattr(self, "state", TradingState()).events:
            STEPS[f"to_{event.to_status.value}:{event.reason.split(':')[0]}"] += 1
        STEPS["broker_orders"] += len(getattr(self, "broker", None).placed_client_order_ids) if hasattr(
            self, "broker") else 0


def _case(profile: str) -> type:
    case = TradingMachine.TestCase
    case.settings = _settings(profile)
    return case


def test_execution_path_keeps_its_invariants_over_random_sessions():
    profile = os.environ.get("HYPOTHESIS_PROFILE", "default")
    STEPS.clear()
    _case(profile)().runTest()
    assert STEPS["steps"] >= PROFILES[profile]["max_examples"] * 5  # the machine really ran


@pytest.mark.soak
def test_execution_path_keeps_its_invariants_over_ten_thousand_steps():
    STEPS.clear()
    _case("soak")().runTest()
    assert STEPS["steps"] >= 10_000
