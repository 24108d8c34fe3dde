"""Trading state ACTIVE / REDUCING / HALTED and its recorded transitions.

A state has a scope: ``global`` is the kill switch, the same for every paper account; ``account:<id>`` is one
paper account's breakers. An account trades under the global state when that is not ACTIVE, else its own.
- daily-loss breaker: ACTIVE -> REDUCING until the next session (``start_session`` lifts it);
- drawdown breaker or kill switch: -> HALTED, left only by ``resume(state, approval_id)`` (for a breaker: an
  approved reset of its baseline).
Every change appends a ``TradingStateEvent`` (from, to, reason, ts) for the caller to persist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from errors import ApprovalError
from quant.execution.gate import KILL_SWITCH_STRATEGY_ID
from quant.execution.orders import Order, OrderIntent, Side
from quant.risk.book import Book
from quant.risk.decision import TradingStatus

HUNDRED = Decimal(100)
GLOBAL_SCOPE = "global"


def account_scope(account_id: str) -> str:
    """The scope of one paper account's breakers."""
    return f"account:{account_id}"


@dataclass(frozen=True)
class TradingStateEvent:
    from_status: TradingStatus
    to_status: TradingStatus
    reason: str
    ts: datetime
    approval_id: str | None = None


@dataclass(frozen=True)
class TradingState:
    """Current status, the session REDUCING was entered in, and the halt's id and allowed flatten orders.

    ``scope`` says whose state it is (``GLOBAL_SCOPE`` or ``account_scope(id)``); ``release`` is how a person
    lifts the current halt (the exact command), filled in by the service that reads the state, never stored."""

    status: TradingStatus = TradingStatus.ACTIVE
    reducing_session: date | None = None
    halt_id: str | None = None
    flatten_client_order_ids: frozenset[str] = frozenset()
    events: tuple[TradingStateEvent, ...] = ()
    scope: str = GLOBAL_SCOPE
    release: str = ""

    @property
    def reason(self) -> str:
        """Why the state is what it is: the reason of the transition into it ("" when it never changed)."""
        into = [e for e in self.events if e.to_status is self.status]
        return into[-1].reason if into and self.status is not TradingStatus.ACTIVE else ""

    @property
    def account_id(self) -> str | None:
        """The paper account of an account-scoped state; None for the global kill switch."""
        return self.scope.split(":", 1)[1] if self.scope.startswith("account:") else None

    def allows_flatten(self, client_order_id: str) -> bool:
        """True only for the flatten orders issued by the kill switch that caused the current halt."""
        return self.status is TradingStatus.HALTED and client_order_id in self.flatten_client_order_ids


@dataclass(frozen=True)
class CancelAction:
    client_order_id: str
    broker_order_id: str | None


@dataclass(frozen=True)
class KillSwitchResult:
    """The HALTED state plus what the caller must now do: cancel these orders, then send these flattens."""

    state: TradingState
    cancels: tuple[CancelAction, ...]
    flattens: tuple[OrderIntent, ...]


def _move(state: TradingState, to: TradingStatus, reason: str, ts: datetime, **changes: object) -> TradingState:
    event = TradingStateEvent(state.status, to, reason, ts, changes.pop("approval_id", None))  # type: ignore[arg-type]
    return replace(state, status=to, events=state.events + (event,), **changes)  # type: ignore[arg-type]


def drawdown_pct(book: Book) -> Decimal:
    """Percent below the equity high-water mark (0 when at the peak)."""
    if book.peak_equity_usd <= 0:
        return Decimal(0)
    return max(Decimal(0), (book.peak_equity_usd - book.equity_usd) / book.peak_equity_usd * HUNDRED)


def daily_loss_pct(book: Book) -> Decimal:
    """Percent lost since the session open (0 when up on the day)."""
    if book.day_start_equity_usd <= 0:
        return Decimal(0)
    return max(Decimal(0), (book.day_start_equity_usd - book.equity_usd) / book.day_start_equity_usd * HUNDRED)


def check_breakers(state: TradingState, book: Book, *, daily_loss_limit_pct: float, max_drawdown_pct: float,
                   session: date, ts: datetime) -> TradingState:
    """Trip the breakers: drawdown >= limit halts; daily loss >= limit moves ACTIVE to REDUCING for ``session``."""
    dd = drawdown_pct(book)
    if state.status is not TradingStatus.HALTED and dd >= Decimal(str(max_drawdown_pct)):
        halt_id = _halt_id("drawdown", ts, len(state.events))
        return _move(state, TradingStatus.HALTED,
                     f"drawdown breaker: drawdown {dd:.2f}% >= limit {max_drawdown_pct}%", ts,
                     halt_id=halt_id, flatten_client_order_ids=frozenset(), reducing_session=None)
    loss = daily_loss_pct(book)
    if state.status is TradingStatus.ACTIVE and loss >= Decimal(str(daily_loss_limit_pct)):
        return _move(state, TradingStatus.REDUCING,
                     f"daily-loss breaker: loss {loss:.2f}% >= limit {daily_loss_limit_pct}%; "
                     f"reducing-only until the session after {session.isoformat()}", ts, reducing_session=session)
    return state


def start_session(state: TradingState, session: date, ts: datetime) -> TradingState:
    """A new trading session: REDUCING entered in an earlier session lifts to ACTIVE; HALTED stays."""
    since = state.reducing_session
    if state.status is TradingStatus.REDUCING and since is not None and session > since:
        return _move(state, TradingStatus.ACTIVE, f"new session {session.isoformat()} lifts the daily-loss breaker",
                     ts, reducing_session=None)
    return state


def engage_kill_switch(state: TradingState, *, reason: str, ts: datetime, open_orders: Iterable[Order],
                       positions: Mapping[str, Decimal], flatten: bool = False) -> KillSwitchResult:
    """HALT now; return cancels for every open order and, if ``flatten``, market orders closing every position."""
    halt_id = _halt_id(f"kill:{reason}", ts, len(state.events))
    cancels = tuple(CancelAction(o.client_order_id, o.broker_order_id) for o in open_orders if not o.is_terminal)
    flattens: tuple[OrderIntent, ...] = ()
    if flatten:
        flattens = tuple(
            OrderIntent(symbol=symbol, side=Side.SELL if qty > 0 else Side.BUY, qty=abs(qty),
                        strategy_id=KILL_SWITCH_STRATEGY_ID, decision_key=halt_id)
            for symbol, qty in sorted(positions.items()) if qty != 0)
    halted = _move(state, TradingStatus.HALTED, f"kill switch: {reason}", ts, halt_id=halt_id,
                   flatten_client_order_ids=frozenset(i.client_order_id for i in flattens), reducing_session=None)
    return KillSwitchResult(state=halted, cancels=cancels, flattens=flattens)


def resume(state: TradingState, approval_id: str, *, ts: datetime, reason: str = "approved resume") -> TradingState:
    """Leave HALTED (or REDUCING) for ACTIVE. Needs the id of a stored approval; verifying it is the caller's job."""
    if not isinstance(approval_id, str) or not approval_id.strip():
        raise ApprovalError("resuming trading needs an approval id", details={"field": "approval_id"})
    if state.status is TradingStatus.ACTIVE:
        return state
    return _move(state, TradingStatus.ACTIVE, reason, ts, approval_id=approval_id, halt_id=None,
                 flatten_client_order_ids=frozenset(), reducing_session=None)


def _halt_id(kind: str, ts: datetime, sequence: int) -> str:
    """Deterministic but unique per engagement (``sequence`` = events so far), so the flatten orders of
    a second kill switch at the same instant get fresh client order ids."""
    return "halt-" + hashlib.sha256(f"{kind}|{ts.isoformat()}|{sequence}".encode()).hexdigest()[:16]
