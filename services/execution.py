"""``ExecutionService``: the execution path below any model — the invariant in code.

An order reaches the broker only through ``GatedBroker.submit`` with an ``Authorized`` value, made by
``ExecutionGate.authorize`` after (1) ``RiskPolicy.check`` passed it on a book and market read from
Postgres at the account's market clock, (2) a stored approval covers it (the strategy's paper/live stage
reached through an approved request of that kind for its current version, or a single-order approval:
``paper_order`` on the paper broker, ``live_order`` on a live one), (3) the trading state is not HALTED
(kill-switch flattens excepted) and (4) for live, live trading is enabled. Every decision writes an audit row
and a domain event.

One service serves one paper account (the broker's ``account_id``): its cash, positions, orders, equity marks
and breakers. The kill switch (``services.kill_switch``) is global; a breaker halts only its account and is
left by an approved reset of its baseline (``services.breakers``). ``clock`` is the account's market time
(prices, fills, marks, sessions); ``record_clock`` is when things happen (audit rows, events, the kill switch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from config import Settings, get_settings
from errors import ApprovalError, BrokerError, ConfigError, NotFoundError, PermanentBrokerError
from guardrails.policy import Actor, Operation
from guardrails.risk_policy import RiskPolicy, intent_or_rejection
from guardrails.trading_state import (
    GLOBAL_SCOPE,
    TradingState,
    account_scope,
    check_breakers,
    start_session,
)
from memory.audit import AuditLog
from memory.bar_index import BarIndex
from memory.db import Database
from memory.orders import OrderRepository
from memory.outbox import PostgresOrderOutbox
from memory.trading_state import RiskLimitStore, TradingStateStore, approval_value
from quant.execution.broker import BrokerClient, BrokerMode
from quant.execution.exactly_once import OutboxStatus
from quant.execution.gate import Approval, ApprovalScope, ApprovalStatus, Authorized, Denied, ExecutionGate, GatedBroker
from quant.execution.orders import Fill, Order, OrderIntent
from quant.risk.book import Book
from quant.risk.decision import Rejected, RiskDecision, TradingStatus
from services.book_states import BookStates, release_of
from services.breakers import BreakerOperations
from services.holdings import Holdings, holdings_of
from services.kill_switch import KillSwitchOperations
from services.market_clock import AccountClock, clock_of
from services.market_snapshot import market_snapshot
from services.operations import operation
from services.reconciliation import RecoveryOperations

if TYPE_CHECKING:
    from memory.approvals import ApprovalStore
    from memory.events import EventLog
    from memory.strategies import StrategyRegistry
    from quant.monitoring.events import EventKind, OrderPayload

STAGE_KIND = {"paper": "paper", "live": "live"}
BREAKER = Actor.system("breaker")
DEFAULT_ACCOUNT = "paper"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ExecutionService(KillSwitchOperations, BreakerOperations, RecoveryOperations):
    """Orders, positions, the kill switch and breakers of one paper account (or the live account), for an
    authenticated ``Actor`` on every interface (the ``OrderGateway`` of ``tools.context``: ``place(actor, intent)``)."""

    def __init__(self, database: Database, broker: BrokerClient, *, settings: Settings | None = None,
                 clock: Callable[[], datetime] = _utc_now, channel: str = "system",
                 outbox_factory: Callable[..., Any] | None = None,
                 record_clock: Callable[[], datetime] | None = None) -> None:
        self.database, self.broker, self.clock, self.channel = database, broker, clock, channel
        self.record_clock = record_clock or clock
        self.settings = settings or get_settings()
        if broker.mode is BrokerMode.LIVE and not self.settings.live_trading:
            raise ApprovalError("live broker refused: live trading is not enabled (QUANTPILOT_LIVE_TRADING)",
                                code="live_disabled")
        self.account = getattr(broker, "account_id", None) or (
            "live" if broker.mode is BrokerMode.LIVE else DEFAULT_ACCOUNT)
        self.bars, self.orders = BarIndex(database), OrderRepository(database)
        self.states = TradingStateStore(database, scope=GLOBAL_SCOPE, channel=channel)  # the kill switch
        self.breakers = TradingStateStore(database, scope=account_scope(self.account), channel=channel)
        self.limits = RiskLimitStore(database)
        self.audit = AuditLog(database, clock=self.record_now)
        self.gate = ExecutionGate()
        self._outbox_factory = outbox_factory or (lambda **kw: PostgresOrderOutbox(database, **kw))

    # the approval requests, the strategy ladder and the event log load on first use: a read of the book, its
    # state or its orders (`positions`, `orders list`, `risk status`) needs none of them
    @cached_property
    def approvals(self) -> ApprovalStore:
        from memory.approvals import ApprovalStore

        return ApprovalStore(self.database)

    @cached_property
    def strategies(self) -> StrategyRegistry:
        from memory.strategies import StrategyRegistry

        return StrategyRegistry(self.database)

    @cached_property
    def events(self) -> EventLog:
        from memory.events import EventLog, EventStore

        return EventLog(EventStore(self.database))

    def now(self) -> datetime:
        """The account's market time (UTC)."""
        return _utc(self.clock())

    def record_now(self) -> datetime:
        """When things happen (UTC): audit rows, events, the kill switch."""
        return _utc(self.record_clock())

    def for_account(self, account: str) -> ExecutionService | None:
        """The same execution path for another paper account (None where the broker has a single account)."""
        if account == self.account:
            return self
        if not hasattr(self.broker, "account_id"):
            return None
        # an account's own market clock where the clock knows accounts (``services.market_clock``)
        clock = self.clock.for_account(account) if hasattr(self.clock, "for_account") else self.clock
        sibling = type(self.broker)(self.database, clock=clock, account_id=account)  # type: ignore[call-arg]
        return ExecutionService(self.database, sibling, settings=self.settings, clock=clock, channel=self.channel,
                                record_clock=self.record_clock)

    # -- reading --------------------------------------------------------------------------
    def book(self, state: TradingState | None = None) -> Book:
        account = self.broker.get_account()
        positions = {p.symbol: p.qty for p in self.broker.get_positions()}
        open_orders = tuple(replace(o.intent, qty=o.remaining_qty) for o in self.orders.open_orders(self.account)
                            if o.remaining_qty > 0)
        peak, day_start = self.breakers.mark_equity(account.equity_usd, self.now().date())
        return Book(cash_usd=account.cash_usd, positions=positions, equity_usd=account.equity_usd,
                    peak_equity_usd=peak, day_start_equity_usd=day_start, open_orders=open_orders)

    def trading_state(self, book: Book | None = None) -> TradingState:
        """The state this account trades under: the global kill switch when it is engaged, else the account's
        breakers after they looked at ``book`` (a trip, or a new session lifting reducing-only, is saved, audited
        and announced). ``release`` says how a person lifts it."""
        mine = self.breakers.current()
        if book is not None:
            limits, now = self.limits.current(), self.now()
            after = start_session(mine, now.date(), now)
            after = check_breakers(after, book, daily_loss_limit_pct=limits.daily_loss_limit_pct,
                                   max_drawdown_pct=limits.max_drawdown_pct, session=now.date(), ts=now)
            if after is not mine:
                self._save_state(after, BREAKER)
                mine = after
        kill = self.states.current() if not self.states.active() else None
        effective = kill if kill is not None and kill.status is not TradingStatus.ACTIVE else mine
        return replace(effective, release=release_of(effective, self.account))

    def book_states(self) -> BookStates:
        """The ``tools.context.TradingStateStore`` view of this account (the state it trades under)."""
        return BookStates(self)

    @operation(Operation.READ_TRADING, one_transaction=False)
    def positions(self, actor: Actor) -> tuple[Any, list[Any]]:
        """``(account, positions)`` at the broker."""
        return self.broker.get_account(), list(self.broker.get_positions())

    @operation(Operation.READ_TRADING, one_transaction=False)
    def holdings(self, actor: Actor) -> Holdings:
        """Cash, equity and each position with its mark, value and unrealized P&L at the account's clock."""
        clock = self.market_clock()
        return holdings_of(self.broker, self.bars, account_id=self.account, as_of=clock.now, clock=clock.describe())

    def market_clock(self) -> AccountClock:
        """The clock this account's book runs on (simulated market or real time) and its now."""
        return clock_of(self.clock, self.account)

    @operation(Operation.READ_TRADING, one_transaction=False)
    def account_clock(self, actor: Actor) -> AccountClock:
        """``market_clock()`` for a reader."""
        return self.market_clock()

    @operation(Operation.READ_TRADING, one_transaction=False)
    def orders_list(self, actor: Actor, *, status: str | None = None, symbol: str | None = None,
                    limit: int = 50) -> list[Any]:
        """This account's orders, newest first."""
        return self.orders.list(status=status, symbol=symbol, limit=limit, account_id=self.account)

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
    def check(self, actor: Actor, intent: OrderIntent, *, as_of: datetime | None = None) -> RiskDecision:
        """The risk policy's decision on ``intent`` at the account's market time, or at ``as_of`` (prices at or
        before it; never after the account's clock). Nothing is sent or stored besides equity marks."""
        now = self.now()
        when = now if as_of is None else _utc(as_of)
        if when > now:
            raise ConfigError(f"--as-of {when:%Y-%m-%d %H:%M} is after account {self.account}'s clock "
                              f"({now:%Y-%m-%d %H:%M} UTC): nothing past the clock can be seen",
                              code="after_the_clock", details={"field": "as_of"})
        book = self.book()
        state = self.trading_state(book)
        market = market_snapshot(self.bars, [intent.symbol, *book.committed_symbols()], when)
        return RiskPolicy(self.limits.current()).check(intent, book, market, state)

    def approval_for(self, intent: OrderIntent, state: TradingState) -> Approval | None:
        """The stored approval covering ``intent``: kill-switch halt, strategy stage, or this single order (of
        this account)."""
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
                 if stored.kind == kind and stored.subject.get("order_intent_hash") == intent.client_order_id
                 and stored.subject.get("account_id") in (None, self.account)]
        granted = [a for a in found if a.status is ApprovalStatus.APPROVED]
        return (granted or found or [None])[0]

    def match_resting(self, actor: Actor) -> tuple[Fill, ...]:
        """Match this account's resting paper orders at the clock's bar; each filled order's new state is
        recorded in the outbox with its events."""
        fills = tuple(self.broker.match_open_orders()) if hasattr(self.broker, "match_open_orders") else ()
        for cid in dict.fromkeys(f.client_order_id for f in fills):
            order = self.broker.get_order_by_client_id(cid)
            if order is not None and self._outbox(actor, None).get(cid) is not None:
                self._outbox(actor, None).mark_result(cid, order)
                self._order_events(order)
        return fills

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
        from quant.monitoring.events import EventKind

        self._event(EventKind.ORDER_CANCELED, _order_payload(order), actor.name)
        return order

    # -- recording ------------------------------------------------------------------------
    def _outbox(self, actor: Actor, approval_id: str | None, **hooks: Any) -> Any:
        return self._outbox_factory(account_id=self.account, mode=self.broker.mode.value, requested_by=actor.name,
                                    approval_id=approval_id, **hooks)

    def _save_state(self, state: TradingState, actor: Actor) -> None:
        """Store the state's new transitions (the kill switch's or this account's, by its scope) with their audit
        rows in one transaction, then announce them."""
        from quant.monitoring.events import EventKind, TradingStatePayload

        store = self.states if state.scope == GLOBAL_SCOPE else self.breakers
        with self.database.unit_of_work():
            added = store.save(state, actor=actor.name, channel=actor.channel.value)
            for t in added:
                self._audit(actor, "trading.state", t.to_status, {"from": t.from_status, "to": t.to_status,
                                                                  "reason": t.reason, "approval_id": t.approval_id,
                                                                  "scope": state.scope})
        for t in added:
            self._event(EventKind.TRADING_STATE_CHANGED,
                        TradingStatePayload(t.from_status, t.to_status, t.reason, actor.name), actor.name)

    def _refused(self, intent: OrderIntent | None, outcome: Rejected | Denied, actor: Actor, symbol: str) -> None:
        from quant.monitoring.events import EventKind, RejectionPayload

        codes = [str(c) for c in outcome.codes] if isinstance(outcome, Rejected) else [outcome.code.value]
        detail = dict(outcome.details) if isinstance(outcome, Rejected) else {"detail": outcome.detail}
        cid = intent.client_order_id if intent else None
        self._audit(actor, "order.refused", cid or symbol or "(invalid)", {"codes": codes, "details": detail})
        self._event(EventKind.ORDER_REJECTED, RejectionPayload(symbol or "?", codes[0], cid,
                                                               {"codes": codes, **_plain(detail)}), actor.name)

    def _order_events(self, order: Order) -> None:
        from quant.monitoring.events import EventKind, FillPayload

        self._event(EventKind.ORDER_SUBMITTED, _order_payload(order), order.intent.strategy_id)
        if order.filled_qty > 0 and order.avg_fill_price is not None:
            i = order.intent
            self._event(EventKind.ORDER_FILLED, FillPayload(order.client_order_id, i.symbol, i.side.value,
                                                            order.filled_qty, order.avg_fill_price), i.strategy_id)

    def _audit(self, actor: Actor, action: str, subject: str, payload: dict[str, Any]) -> None:
        self.audit.append(actor.name or "system", actor.channel.value, action, subject, payload)

    def _event(self, kind: EventKind, payload: Any, source: str) -> None:
        from quant.monitoring.events import DomainEvent

        self.events.record(DomainEvent(kind=kind, payload=payload, source=(source or "system")[:64],
                                       ts=self.record_now()))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _order_payload(order: Order) -> OrderPayload:
    from quant.monitoring.events import OrderPayload

    i = order.intent
    return OrderPayload(order.client_order_id, i.symbol, i.side.value, i.qty, i.order_type.value, i.limit_price,
                        order.status.value, i.strategy_id)


def _plain(value: Any) -> Any:
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
