"""``ExecutionService``: the execution path below any model — the invariant in code.

An order reaches the broker only through ``GatedBroker.submit`` with an ``Authorized`` value, made by
``ExecutionGate.authorize`` after (1) ``RiskPolicy.check`` passed it on a book and market read from
Postgres, (2) a stored approval covers it (the strategy's paper/live stage reached through an approved
request of that kind for its current version, or a single-order approval: ``paper_order`` on the
paper broker, ``live_order`` on a live one), (3) the trading
state read from Postgres is not HALTED (kill-switch flattens excepted) and (4) for live, live trading is
enabled. Every decision writes an audit row and a domain event.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from config import Settings, get_settings
from errors import ApprovalError, BrokerError, ConfigError, NotFoundError, PermanentBrokerError
from guardrails.approvals import ApprovalRequest
from guardrails.policy import Actor, Operation, require
from guardrails.risk_policy import RiskPolicy, intent_or_rejection
from guardrails.trading_state import TradingState, check_breakers, engage_kill_switch, resume
from memory.approvals import ApprovalStore
from memory.audit import AuditLog
from memory.bar_index import BarIndex
from memory.db import Database
from memory.events import EventLog, EventStore
from memory.orders import OrderRepository
from memory.outbox import PostgresOrderOutbox
from memory.strategies import StrategyRegistry
from memory.trading_state import APPROVAL_TTL, RiskLimitStore, TradingStateStore, approval_value, new_approval_id
from quant.execution.broker import BrokerClient, BrokerMode
from quant.execution.exactly_once import OutboxStatus, RecoveryReport, recover
from quant.execution.gate import Approval, ApprovalScope, ApprovalStatus, Authorized, Denied, ExecutionGate, GatedBroker
from quant.execution.orders import Order, OrderIntent
from quant.monitoring.events import (
    DomainEvent,
    EventKind,
    FillPayload,
    KillSwitchPayload,
    NoticePayload,
    OrderPayload,
    RejectionPayload,
    TradingStatePayload,
)
from quant.risk.book import Book, MarketSnapshot
from quant.risk.decision import Rejected, RiskDecision, TradingStatus
from services.approvals import store_request
from services.operations import operation

STAGE_KIND = {"paper": "paper", "live": "live"}
HISTORY = timedelta(days=60)
BREAKER = Actor.system("breaker")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class KillSwitchReport:
    state: TradingState
    canceled: tuple[str, ...]
    flatten_orders: tuple[Order | Denied | Rejected, ...]


@dataclass(frozen=True)
class Reconciliation:
    """Expected vs broker shares per symbol; ``discrepancies`` lists each mismatch."""

    matched: bool
    expected: dict[str, Decimal]
    actual: dict[str, Decimal]
    discrepancies: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"matched": self.matched, "expected": {k: _fmt(v) for k, v in self.expected.items()},
                "actual": {k: _fmt(v) for k, v in self.actual.items()}, "discrepancies": list(self.discrepancies)}


def _fmt(value: Decimal) -> str:
    """A Decimal without trailing zeros or exponent (``10.0000000000`` -> ``10``)."""
    return format(value.normalize(), "f") if value else "0"


def market_snapshot(bars: BarIndex, symbols: list[str], now: datetime) -> MarketSnapshot:
    """Last close, 20-bar average volume (shares) and a 2 x ATR(14) stop distance (dollars; mean absolute
    close change for closes-only data) per symbol, from the bars of the ``HISTORY`` before ``now``."""
    last, adv, stop = {}, {}, {}
    for symbol in sorted({s.upper() for s in symbols}):
        rows = bars.read_rows(symbol, now - HISTORY, now)
        if not len(rows):
            continue
        last[symbol] = Decimal(repr(rows.close[-1]))
        volume = [v for v in rows.volume[-20:] if v is not None]
        if volume:
            adv[symbol] = Decimal(repr(math.fsum(volume) / len(volume)))
        ranges = list(map(_true_range, rows.high, rows.low, rows.close, (None, *rows.close[:-1])))[-14:]
        known = [r for r in ranges if r is not None]
        atr = math.fsum(known) / len(known) if known else 0.0
        if atr > 0:
            stop[symbol] = Decimal(repr(round(2 * atr, 6)))
    return MarketSnapshot(last_price=last, adv_shares=adv, stop_distance_usd=stop)


def _true_range(high: float | None, low: float | None, close: float, prev: float | None) -> float | None:
    """A bar's true range (dollars): the largest known of high - low, |high - prev close| and |low - prev close|;
    for a closes-only bar |close - prev close|; None when nothing is known (a series' first closes-only bar)."""
    if high is None:
        return None if prev is None else abs(close - prev)
    spans = [high - low] if low is not None else []
    if prev is not None:
        spans += [abs(high - prev)] + ([abs(low - prev)] if low is not None else [])
    return max(spans) if spans else None


class ExecutionService:
    """Orders, positions, the kill switch and its release, for an authenticated ``Actor`` on every interface
    (the ``OrderGateway`` of ``tools.context``: ``place(actor, intent)``)."""

    def __init__(self, database: Database, broker: BrokerClient, *, settings: Settings | None = None,
                 clock: Callable[[], datetime] = _utc_now, channel: str = "system",
                 outbox_factory: Callable[..., Any] | None = None) -> None:
        self.database, self.broker, self.clock, self.channel = database, broker, clock, channel
        self.settings = settings or get_settings()
        if broker.mode is BrokerMode.LIVE and not self.settings.live_trading:
            raise ApprovalError("live broker refused: live trading is not enabled (QUANTPILOT_LIVE_TRADING)",
                                code="live_disabled")
        self.bars, self.orders = BarIndex(database), OrderRepository(database)
        self.states, self.limits = TradingStateStore(database, channel=channel), RiskLimitStore(database)
        self.approvals, self.strategies = ApprovalStore(database), StrategyRegistry(database)
        self.audit, self.events = AuditLog(database, clock=self.now), EventLog(EventStore(database))
        self.gate = ExecutionGate()
        self._outbox_factory = outbox_factory or (lambda **kw: PostgresOrderOutbox(database, **kw))

    def now(self) -> datetime:
        value = self.clock()
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    # -- reading --------------------------------------------------------------------------
    def book(self, state: TradingState | None = None) -> Book:
        account = self.broker.get_account()
        positions = {p.symbol: p.qty for p in self.broker.get_positions()}
        open_orders = tuple(replace(o.intent, qty=o.remaining_qty) for o in self.orders.open_orders()
                            if o.remaining_qty > 0)
        peak, day_start = self.states.mark_equity(account.equity_usd, self.now().date())
        return Book(cash_usd=account.cash_usd, positions=positions, equity_usd=account.equity_usd,
                    peak_equity_usd=peak, day_start_equity_usd=day_start, open_orders=open_orders)

    def trading_state(self, book: Book | None = None) -> TradingState:
        """The stored state after the breakers looked at ``book`` (a trip is saved, audited and announced)."""
        state = self.states.current()
        if book is None:
            return state
        limits = self.limits.current()
        after = check_breakers(state, book, daily_loss_limit_pct=limits.daily_loss_limit_pct,
                               max_drawdown_pct=limits.max_drawdown_pct, session=self.now().date(), ts=self.now())
        if after is not state:
            self._save_state(after, BREAKER)
        return after

    @operation(Operation.READ_TRADING, one_transaction=False)
    def positions(self, actor: Actor) -> tuple[Any, list[Any]]:
        """``(account, positions)`` at the broker."""
        return self.broker.get_account(), list(self.broker.get_positions())

    @operation(Operation.READ_TRADING, one_transaction=False)
    def orders_list(self, actor: Actor, *, status: str | None = None, symbol: str | None = None,
                    limit: int = 50) -> list[Any]:
        return self.orders.list(status=status, symbol=symbol, limit=limit)

    @operation(Operation.READ_TRADING, one_transaction=False)
    def order(self, actor: Actor, client_order_id: str) -> tuple[Any, list[Any]]:
        """``(the order record, its events)``; NotFoundError when there is none."""
        return self.orders.get(client_order_id), self.orders.events(client_order_id)

    @operation(Operation.READ_TRADING, one_transaction=False)
    def risk_state(self, actor: Actor) -> tuple[Book, TradingState, Any]:
        """``(book, trading state after the breakers, limits)`` now."""
        book = self.book()
        return book, self.trading_state(book), self.limits.current()

    @operation(Operation.READ_TRADING, one_transaction=False)
    def check(self, actor: Actor, intent: OrderIntent) -> RiskDecision:
        """The risk policy's decision on ``intent`` now; nothing is sent or stored besides equity marks."""
        book = self.book()
        state = self.trading_state(book)
        market = market_snapshot(self.bars, [intent.symbol, *book.committed_symbols()], self.now())
        return RiskPolicy(self.limits.current()).check(intent, book, market, state)

    def approval_for(self, intent: OrderIntent, state: TradingState) -> Approval | None:
        """The stored approval covering ``intent``: kill-switch halt, strategy stage, or this single order."""
        if state.allows_flatten(intent.client_order_id) and state.halt_id:
            return Approval(f"kill-{state.halt_id}", ApprovalScope.KILL_SWITCH, state.halt_id,
                            ApprovalStatus.APPROVED, approver="kill-switch")
        running = self.strategies.running(intent.strategy_id)  # the version that trades, not a newer draft
        if running is not None and running.stage in STAGE_KIND:
            done = [t for t in self.strategies.transitions(running.strategy_id)
                    if t.to_stage == running.stage and t.approval_id and t.version == running.version]
            if done:
                stored = self.approvals.get(done[-1].approval_id)
                s = stored.subject
                if (stored.kind == STAGE_KIND[running.stage] and s.get("strategy_id") == running.strategy_id
                        and s.get("version") == running.version and s.get("params_hash") == running.params_hash):
                    return approval_value(stored, ApprovalScope.STAGE, running.strategy_id,
                                          stage=BrokerMode(running.stage))
        # a single-order approval: live_order for a live broker, paper_order only for the paper broker
        kind = "paper_order" if self.broker.mode is BrokerMode.PAPER else "live_order"
        found = [approval_value(stored, ApprovalScope.ORDER, intent.client_order_id)
                 for stored in self.approvals.list(limit=500)
                 if stored.kind == kind and stored.subject.get("order_intent_hash") == intent.client_order_id]
        granted = [a for a in found if a.status is ApprovalStatus.APPROVED]
        return (granted or found or [None])[0]

    # -- placing --------------------------------------------------------------------------
    @operation(Operation.PLACE_ORDER, one_transaction=False)
    def place_fields(self, actor: Actor, **fields: Any) -> Order | Denied | Rejected:
        """``place`` from raw fields: a bad field is ``Rejected(INVALID_ORDER)`` naming it (audited)."""
        intent = intent_or_rejection(**fields)
        if isinstance(intent, Rejected):
            self._refused(None, intent, actor, str(fields.get("symbol", "")))
            return intent
        return self.place(actor, intent)

    @operation(Operation.PLACE_ORDER, one_transaction=False)
    def place(self, actor: Actor, intent: OrderIntent) -> Order | Denied | Rejected:
        """Send ``intent`` if the risk policy passes it, a stored approval covers it, the kill switch is off and
        (live) live trading is enabled; otherwise the refusal, audited. Idempotent on the client order id."""
        requested_by = actor.name
        known = self._outbox(actor, None).get(intent.client_order_id)
        if known is not None and known.status is OutboxStatus.RESOLVED and known.order is not None:
            return known.order  # an idempotent replay: nothing new is decided or sent
        book = self.book()
        state = self.trading_state(book)
        market = market_snapshot(self.bars, [intent.symbol, *book.committed_symbols()], self.now())
        decision = RiskPolicy(self.limits.current()).check(intent, book, market, state)
        if isinstance(decision, Rejected):
            self._refused(intent, decision, actor, intent.symbol)
            return decision
        approval = self.approval_for(intent, state)
        verdict = self.gate.authorize(intent, risk_decision=decision, approval=approval, trading_state=state,
                                      mode=self.broker.mode, live_enabled=self.settings.live_trading)
        if isinstance(verdict, Denied):
            self._refused(intent, verdict, actor, intent.symbol)
            return verdict
        return self._submit(verdict, actor, requested_by)

    def _submit(self, authorized: Authorized, actor: Actor, requested_by: str) -> Order:
        intent = authorized.intent
        facts = {"symbol": intent.symbol, "side": intent.side.value, "qty": intent.qty,
                 "strategy_id": intent.strategy_id, "approval_id": authorized.approval_id,
                 "mode": authorized.mode.value, "requested_by": requested_by}

        def audit_result(connection: Any, entry: Any) -> None:  # in the transaction that stores the broker's answer
            status = entry.order.status.value if entry.order is not None else "unknown"
            action = "order.broker_rejected" if status == "rejected" else "order.submitted"
            self.audit.append(actor.name, actor.channel.value, action, intent.client_order_id,
                              {**facts, "status": status}, connection=connection)

        gated = GatedBroker(self.broker, self._outbox(actor, authorized.approval_id, on_result=audit_result))
        try:
            order = gated.submit(authorized)
        except PermanentBrokerError:
            entry = self._outbox(actor, None).get(intent.client_order_id)
            assert entry is not None and entry.order is not None
            return entry.order
        except BrokerError as failed:
            self._audit(actor, "order.send_failed", intent.client_order_id, {**facts, "error": str(failed)})
            raise
        self._order_events(order)
        return order

    @operation(Operation.CANCEL_ORDER, one_transaction=False)
    def cancel(self, actor: Actor, client_order_id: str) -> Order:
        """Cancel an open order (cancels only reduce risk: no approval needed)."""
        record = self.orders.get(client_order_id)
        if record.order.broker_order_id is None:
            raise NotFoundError(f"order {client_order_id} never reached the broker; nothing to cancel")
        GatedBroker(self.broker, self._outbox(actor, None)).cancel(record.order.broker_order_id)
        order = self.broker.get_order_by_client_id(client_order_id) or record.order
        with self.database.unit_of_work():
            self._outbox(actor, None).mark_result(client_order_id, order)
            self._audit(actor, "order.cancel", client_order_id, {"status": order.status.value})
        self._event(EventKind.ORDER_CANCELED, _order_payload(order), actor.name)
        return order

    # -- kill switch and resume -----------------------------------------------------------
    @operation(Operation.ENGAGE_KILL_SWITCH, one_transaction=False)
    def kill_switch_on(self, actor: Actor, *, reason: str = "manual", flatten: bool = False) -> KillSwitchReport:
        """HALT now (persisted first), cancel every open order, then (approver only) flatten every position."""
        if flatten:
            require(actor, Operation.FLATTEN_POSITIONS)
        positions = {p.symbol: p.qty for p in self.broker.get_positions()}
        result = engage_kill_switch(self.states.current(), reason=reason, ts=self.now(),
                                    open_orders=self.orders.open_orders(), positions=positions, flatten=flatten)
        with self.database.unit_of_work():  # the request itself is on record even when trading was halted already
            self._audit(actor, "trading.kill_switch", "halt", {"reason": reason, "flatten": flatten})
            self._save_state(result.state, actor)
        self._event(EventKind.KILL_SWITCH_ACTIVATED, KillSwitchPayload(True, reason, actor.name), actor.name)
        canceled = []
        for cancel in result.cancels:
            if cancel.broker_order_id:
                self.cancel(actor, cancel.client_order_id)
                canceled.append(cancel.client_order_id)
        flattens = tuple(self.place(actor, i) for i in result.flattens)
        return KillSwitchReport(self.states.current(), tuple(canceled), flattens)

    @operation(Operation.REQUEST_RESUME)
    def request_resume(self, actor: Actor, *, reason: str) -> str:
        """Store the approval request that ``resume`` needs (kind ``risk_limit``, action resume_trading)."""
        state, now = self.states.current(), self.now()
        if state.status is TradingStatus.ACTIVE:
            raise ConfigError("trading is already active; nothing to resume")
        subject_id = f"resume-{state.halt_id or 'reducing'}"
        request = ApprovalRequest(
            id=new_approval_id(), kind="risk_limit", requester=actor.name, requester_id=actor.user_id,
            channel=actor.channel.value, thread_id=None,
            subject={"limit_change_id": subject_id, "action": "resume_trading",  # type: ignore[arg-type]
                     "halt_id": state.halt_id, "status": state.status.value},
            evidence={"reason": reason}, summary=f"resume trading ({state.status.value}): {reason}",
            created_at=now, expires_at=now + APPROVAL_TTL)
        store_request(self.approvals, self.audit, actor, request)
        return request.id

    @operation(Operation.RESUME_TRADING, one_transaction=False)
    def resume(self, actor: Actor, approval_id: str) -> TradingState:
        """Leave HALTED/REDUCING with an approved resume request for the current halt (``ApprovalError`` if not)."""
        state, record = self.states.current(), self.approvals.get(approval_id)
        expected = f"resume-{state.halt_id or 'reducing'}"
        approval = approval_value(record, ApprovalScope.RISK_LIMIT, record.subject.get("limit_change_id", ""))
        if record.subject.get("action") != "resume_trading" or approval.subject != expected:
            raise ApprovalError(f"approval {approval_id} does not cover resuming from {state.status.value} "
                                f"(needs {expected})", details={"approval_id": approval_id, "expected": expected})
        if approval.status is not ApprovalStatus.APPROVED:
            raise ApprovalError(f"approval {approval_id} is {record.status}, not approved",
                                details={"approval_id": approval_id})
        after = resume(state, approval_id, ts=self.now(), reason=f"resumed with approval {approval_id}")
        self._save_state(after, actor)
        self._event(EventKind.KILL_SWITCH_ACTIVATED, KillSwitchPayload(False, "resumed", actor.name), actor.name)
        return after

    kill_switch_off = resume

    # -- recovery and reconciliation --------------------------------------------------------
    def recover(self, actor: Actor = Actor.system("recovery")) -> RecoveryReport:
        """After a restart: settle every unresolved outbox entry with the broker; an intent the broker never
        got is sent again only if the whole gate passes it now, else abandoned."""
        def may_resubmit(intent: OrderIntent) -> bool:
            book = self.book()
            state = self.trading_state(book)
            market = market_snapshot(self.bars, [intent.symbol, *book.committed_symbols()], self.now())
            decision = RiskPolicy(self.limits.current()).check(intent, book, market, state)
            return isinstance(self.gate.authorize(intent, risk_decision=decision,
                                                  approval=self.approval_for(intent, state), trading_state=state,
                                                  mode=self.broker.mode, live_enabled=self.settings.live_trading),
                              Authorized)
        report = recover(self._outbox(actor, None), self.broker, may_resubmit=may_resubmit)
        self._audit(actor, "orders.recover", "outbox", {k: list(getattr(report, k)) for k in (
            "found_at_broker", "resubmitted", "abandoned", "refreshed", "still_unknown")})
        return report

    @operation(Operation.RECONCILE)
    def reconcile(self, actor: Actor, expected: dict[str, Decimal] | None = None) -> Reconciliation:
        """Our positions (default: from our orders' fills) vs the broker's; a mismatch raises an alert event."""
        want = {k.upper(): Decimal(str(v)) for k, v in (expected if expected is not None
                                                        else self.orders.expected_positions()).items()}
        have = {p.symbol: p.qty for p in self.broker.get_positions() if p.qty != 0}
        found = tuple({"symbol": s, "expected": _fmt(want.get(s, Decimal(0))), "actual": _fmt(have.get(s, Decimal(0))),
                       "difference": _fmt(have.get(s, Decimal(0)) - want.get(s, Decimal(0)))}
                      for s in sorted(set(want) | set(have)) if want.get(s, 0) != have.get(s, 0))
        self._audit(actor, "positions.reconcile", "positions", {"discrepancies": list(found)})
        if found:
            self._event(EventKind.SYSTEM_ALERT, NoticePayload(
                f"position reconciliation found {len(found)} discrepancies", "warning",
                {"discrepancies": list(found)}), actor.name)
        return Reconciliation(not found, want, have, found)

    # -- recording ------------------------------------------------------------------------
    def _outbox(self, actor: Actor, approval_id: str | None, **hooks: Any) -> Any:
        return self._outbox_factory(mode=self.broker.mode.value, requested_by=actor.name, approval_id=approval_id,
                                    **hooks)

    def _save_state(self, state: TradingState, actor: Actor) -> None:
        """Store the state's new transitions with their audit rows in one transaction, then announce them."""
        with self.database.unit_of_work():
            added = self.states.save(state, actor=actor.name, channel=actor.channel.value)
            for t in added:
                self._audit(actor, "trading.state", t.to_status, {"from": t.from_status, "to": t.to_status,
                                                                  "reason": t.reason, "approval_id": t.approval_id})
        for t in added:
            self._event(EventKind.TRADING_STATE_CHANGED,
                        TradingStatePayload(t.from_status, t.to_status, t.reason, actor.name), actor.name)

    def _refused(self, intent: OrderIntent | None, outcome: Rejected | Denied, actor: Actor, symbol: str) -> None:
        codes = [str(c) for c in outcome.codes] if isinstance(outcome, Rejected) else [outcome.code.value]
        detail = dict(outcome.details) if isinstance(outcome, Rejected) else {"detail": outcome.detail}
        cid = intent.client_order_id if intent else None
        self._audit(actor, "order.refused", cid or symbol or "(invalid)", {"codes": codes, "details": detail})
        self._event(EventKind.ORDER_REJECTED, RejectionPayload(symbol or "?", codes[0], cid,
                                                               {"codes": codes, **_plain(detail)}), actor.name)

    def _order_events(self, order: Order) -> None:
        self._event(EventKind.ORDER_SUBMITTED, _order_payload(order), order.intent.strategy_id)
        if order.filled_qty > 0 and order.avg_fill_price is not None:
            i = order.intent
            self._event(EventKind.ORDER_FILLED, FillPayload(order.client_order_id, i.symbol, i.side.value,
                                                            order.filled_qty, order.avg_fill_price), i.strategy_id)

    def _audit(self, actor: Actor, action: str, subject: str, payload: dict[str, Any]) -> None:
        self.audit.append(actor.name or "system", actor.channel.value, action, subject, payload)

    def _event(self, kind: EventKind, payload: Any, source: str) -> None:
        self.events.record(DomainEvent(kind=kind, payload=payload, source=(source or "system")[:64], ts=self.now()))


def _order_payload(order: Order) -> OrderPayload:
    i = order.intent
    return OrderPayload(order.client_order_id, i.symbol, i.side.value, i.qty, i.order_type.value, i.limit_price,
                        order.status.value, i.strategy_id)


def _plain(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
