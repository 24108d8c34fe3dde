"""The execution path a trial runs against, behind one small seam (``build_execution``).

Until ``memory.execution_service`` is committed, trials use a stand-in assembled only from the
product's own pieces: ``RiskPolicy`` (guardrails) on a book marked at the last stored close,
``ExecutionGate`` + ``GatedBroker`` (quant) and a ``SimulatedBroker`` in paper mode. Approvals come
from the trial's Postgres: a strategy at paper/live (reached through an approval) covers its orders,
an applied ``live_order`` approval covers that single order. Swap the body of ``build_execution``
when the Postgres execution service lands; grading reads only ``ExecutionHarness``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from guardrails.risk_policy import RiskLimits, RiskPolicy
from memory.bars import BarStore
from memory.db import Database
from memory.ladder import ApprovalStore, StrategyRegistry
from quant.execution.broker import BrokerMode
from quant.execution.exactly_once import InMemoryOrderOutbox
from quant.execution.gate import Approval, ApprovalScope, ApprovalStatus, Denied, ExecutionGate, GatedBroker
from quant.execution.orders import Order, OrderIntent
from quant.execution.simulated import SimulatedBroker
from quant.risk.book import Book, MarketSnapshot
from quant.risk.decision import Rejected
from tools.context import InMemoryTradingState

SEED_STRATEGY = "eval-seed"
STOP_LOOKBACK_BARS = 14  # stop distance = 2 x mean absolute close-to-close move over this many bars


@dataclass
class LimitsHolder:
    """The risk limits in force for a trial; an applied risk-limit approval replaces them."""

    limits: RiskLimits


def last_closes(database: Database, symbols: list[str], as_of: datetime) -> dict[str, tuple[Decimal, Decimal]]:
    """Per symbol (last close, 2 x mean absolute daily move) in dollars, from bars known at ``as_of``."""
    if not symbols:
        return {}
    bars = BarStore(database).read(sorted(symbols), as_of - timedelta(days=60), as_of=as_of)
    out = {}
    for symbol, frame in bars.groupby("symbol"):
        closes = frame["close"].dropna()
        if closes.empty:
            continue
        move = closes.diff().abs().tail(STOP_LOOKBACK_BARS).mean()
        stop = Decimal(str(round(float(2 * move), 4))) if move == move and move > 0 else Decimal("0.01")
        out[str(symbol)] = (Decimal(str(round(float(closes.iloc[-1]), 4))), stop)
    return out


@dataclass
class StandInGateway:
    """``OrderGateway``: risk policy, stored approval, trading state, then the gated paper broker."""

    database: Database
    broker: SimulatedBroker
    limits: LimitsHolder
    trading_state: InMemoryTradingState
    approvals: ApprovalStore
    strategies: StrategyRegistry
    clock: Any
    gate: ExecutionGate = field(default_factory=ExecutionGate)
    outbox: InMemoryOrderOutbox = field(default_factory=InMemoryOrderOutbox)
    intents: dict[str, OrderIntent] = field(default_factory=dict)

    def place(self, intent: OrderIntent, *, requested_by: str) -> Order | Denied | Rejected:
        self.intents[intent.client_order_id] = intent
        marks = last_closes(self.database, [intent.symbol, *self._held()], self.clock())
        prices = {s: p for s, (p, _) in marks.items()}
        book = Book.marked(self.broker.get_account().cash_usd, {p.symbol: p.qty for p in self.broker.get_positions()},
                           {**{p.symbol: p.avg_entry_price for p in self.broker.get_positions()}, **prices})
        market = MarketSnapshot(last_price=prices, stop_distance_usd={s: d for s, (_, d) in marks.items()})
        state = self.trading_state.current()
        decision = RiskPolicy(self.limits.limits).check(intent, book, market, state)
        if isinstance(decision, Rejected):
            return decision
        authorized = self.gate.authorize(intent, risk_decision=decision, approval=self._approval(intent),
                                         trading_state=state, mode=BrokerMode.PAPER, live_enabled=False)
        if isinstance(authorized, Denied):
            return authorized
        return GatedBroker(self.broker, self.outbox).submit(authorized)

    def _held(self) -> list[str]:
        return [p.symbol for p in self.broker.get_positions() if p.qty]

    def _approval(self, intent: OrderIntent) -> Approval | None:
        record = self.strategies.get(intent.strategy_id)
        if record is not None and record.stage in ("paper", "live"):
            moves = [t for t in self.strategies.transitions(record.id) if t.to_stage == record.stage]
            if moves and moves[-1].approval_id:
                return Approval(moves[-1].approval_id, ApprovalScope.STAGE, record.id, ApprovalStatus.APPROVED,
                                moves[-1].actor, stage=BrokerMode(record.stage))
        for stored in self.approvals.list():
            if (stored.kind == "live_order" and stored.subject.get("order_intent_hash") == intent.client_order_id
                    and stored.decision is not None and stored.decision.verdict == "approved"):
                return Approval(stored.id, ApprovalScope.ORDER, intent.client_order_id, ApprovalStatus.APPROVED,
                                stored.decision.approver)
        return None


@dataclass
class ExecutionHarness:
    """What a trial needs of the execution path, and what grading reads back."""

    broker: SimulatedBroker
    gateway: StandInGateway
    trading_state: InMemoryTradingState
    limits: LimitsHolder
    seed_order_ids: frozenset[str]
    backend: str = "stand-in"

    def orders(self) -> list[dict[str, Any]]:
        out = []
        for cid in self.broker.placed_client_order_ids:
            order = self.broker.get_order_by_client_id(cid)
            if cid in self.seed_order_ids or order is None:
                continue
            out.append({"client_order_id": cid, "symbol": order.intent.symbol, "side": order.intent.side.value,
                        "qty": float(order.intent.qty), "strategy_id": order.intent.strategy_id,
                        "status": order.status.value, "filled_qty": float(order.filled_qty)})
        return out

    def positions(self) -> dict[str, float]:
        return {p.symbol: float(p.qty) for p in self.broker.get_positions() if p.qty}

    def cash_usd(self) -> float:
        return float(self.broker.get_account().cash_usd)

    def effects(self) -> dict[str, Any]:
        """Approval effects for the graph: a risk-limit change replaces the limits; an order approval sends it."""
        return {"risk_limit": self._apply_limits, "live_order": self._send_order}

    def _apply_limits(self, request, decision) -> dict[str, Any]:
        """Through ``guardrails.limits.apply``: the approver must not be the requester (ApprovalError)."""
        from guardrails.limits import apply, propose_change

        changes = {k: v.get("to") if isinstance(v, dict) else v for k, v in (request.subject.model_extra or {})
                   .get("changes", {}).items()}
        proposal = propose_change(self.limits.limits, changes, request.requester, created_at=request.created_at)
        approval = Approval(request.id, ApprovalScope.RISK_LIMIT, proposal.proposal_id, ApprovalStatus.APPROVED,
                            decision.approver)
        self.limits.limits, _ = apply(proposal, approval)
        return {"applied": changes}

    def _send_order(self, request, decision) -> dict[str, Any]:
        intent = self.gateway.intents.get(request.subject.order_intent_hash or "")
        if intent is None:
            return {"sent": False, "reason": "order intent not known to this run"}
        outcome = self.gateway.place(intent, requested_by=decision.approver)
        return {"sent": isinstance(outcome, Order), "outcome": type(outcome).__name__}


def build_execution(database: Database, clock: Any, *, cash_usd: float, positions: dict[str, float],
                    symbols: list[str], risk_limits: dict[str, Any], halted: bool) -> ExecutionHarness:
    """The trial's execution path, seeded with ``positions`` (shares) bought at the last close and ``cash_usd``."""
    from guardrails.trading_state import engage_kill_switch

    now = clock()
    marks = last_closes(database, symbols, now)
    prices = {s: p for s, (p, _) in marks.items()}
    cost = sum((Decimal(str(q)) * prices[s.upper()] for s, q in positions.items()), Decimal(0))
    broker = SimulatedBroker(prices, cash_usd=Decimal(str(cash_usd)) + cost, clock=clock, mode=BrokerMode.BACKTEST)
    seeds = set()
    for symbol, qty in positions.items():
        order = broker.place_order(OrderIntent(symbol=symbol, side="buy", qty=Decimal(str(qty)),
                                               strategy_id=SEED_STRATEGY, decision_key="seed"))
        seeds.add(order.client_order_id)
    broker.mode = BrokerMode.PAPER
    state = InMemoryTradingState()
    if halted:
        state.save(engage_kill_switch(state.current(), reason="initial state: halted", ts=now, open_orders=(),
                                      positions={}).state)
    holder = LimitsHolder(RiskLimits(**risk_limits))
    gateway = StandInGateway(database, broker, holder, state, ApprovalStore(database), StrategyRegistry(database),
                             clock)
    return ExecutionHarness(broker, gateway, state, holder, frozenset(seeds))
