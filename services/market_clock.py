"""Which clock a paper account trades on, and moving a simulated one.

Every paper account has a market clock, stored on first use (``memory.market_clock``):
- ``real`` time where live market data exists: Alpaca keys are configured, or the newest stored daily bar is at
  most ``settings.stale_after_days`` old (data kept current, e.g. by scheduled yfinance loads);
- otherwise ``simulated``: a fresh install without network trades on the bundled history. The clock starts
  ``START_SESSIONS_BACK`` sessions before the newest stored bar (a year of bars to trade forward through) and
  stands on a stored bar's timestamp; prices, fills, marks and breakers all read it, so nothing past it is seen.
A simulated clock moves only forward: ``advance`` steps session by session (resting orders are matched at each
new bar and the account's breakers see each new equity), ``set_to`` jumps to a date (backward only for an
account without orders), ``use_real_time`` leaves the simulation. ``paper run`` moves it too, bar by bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from config import Settings, get_settings
from errors import ConfigError, DataError
from guardrails.policy import Actor, Operation
from memory.audit import AuditLog
from memory.db import Database
from memory.market_clock import REAL, SIMULATED, MarketClockStore, StoredClock
from memory.orders import OrderRepository
from quant.execution.orders import Fill
from services.operations import operation
from services.paper_accounts import account_id as checked_account

START_SESSIONS_BACK = 252  # a fresh simulated clock leaves about a year of stored bars ahead of it
WARM_UP_SESSIONS = 20  # ... and at least a month behind it (average volume, stop distances)
MAX_ADVANCE_SESSIONS = 2_520


def utc_now() -> datetime:
    return datetime.now(UTC)


def moment_of(value: str, field: str) -> datetime:
    """``YYYY-MM-DD`` (or an ISO time) as a UTC moment (a date is its midnight UTC); a ConfigError naming
    ``field`` otherwise (``--as-of`` on the CLI, ``as_of`` on the API)."""
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(f"{field} {value!r} is not a date: write YYYY-MM-DD", details={"field": field}) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def clock_of(clock: Callable[[], datetime], account: str) -> AccountClock:
    """What ``clock`` (an ``ExecutionService``'s market clock) is for ``account``: simulated or real time."""
    mode = getattr(clock, "mode", REAL)
    now = clock()
    return AccountClock(account, mode() if callable(mode) else mode, now)


class SimulatedClock:
    """A clock the caller moves; ``__call__`` returns the current simulated UTC time."""

    mode = SIMULATED

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class AccountClock:
    """An account's clock as read: ``mode`` simulated | real, ``now`` its time (UTC)."""

    account_id: str
    mode: str
    now: datetime

    @property
    def simulated(self) -> bool:
        return self.mode == SIMULATED

    def describe(self) -> str:
        """``simulated market at 2021-12-29`` / ``real time``: which clock the book runs on, in words."""
        return f"simulated market at {self.now:%Y-%m-%d}" if self.simulated else "real time"

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "mode": self.mode, "now": self.now.isoformat()}


@dataclass(frozen=True)
class ClockAdvance:
    """What moving a simulated clock did: sessions stepped, orders filled, equity before and after (dollars)."""

    account_id: str
    start: datetime
    end: datetime
    sessions: int
    fills: tuple[Fill, ...]
    equity_before_usd: Decimal
    equity_after_usd: Decimal
    trading_state: str
    reason: str = ""
    release: str = ""
    release_api: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "sessions": self.sessions, "fills": [{"client_order_id": f.client_order_id, "symbol": f.symbol,
                                                      "side": f.side.value, "qty": str(f.qty), "price": str(f.price),
                                                      "fee_usd": str(f.fee_usd)} for f in self.fills],
                "equity_before_usd": str(self.equity_before_usd), "equity_after_usd": str(self.equity_after_usd),
                "trading_state": self.trading_state, "reason": self.reason, "release": self.release,
                "release_api": self.release_api}


class StoredMarketClock:
    """The account's now, read from storage at each call (another process may have moved it); an account
    without a stored clock gets its first one on first use (``first``)."""

    def __init__(self, store: MarketClockStore, account: str, first: Callable[[str], StoredClock],
                 wall: Callable[[], datetime] = utc_now) -> None:
        self.store, self.account, self.first, self.wall = store, account, first, wall

    def stored(self) -> StoredClock:
        return self.store.get(self.account) or self.first(self.account)

    def __call__(self) -> datetime:
        stored = self.stored()
        return stored.now if stored.mode == SIMULATED and stored.now is not None else self.wall()

    def mode(self) -> str:
        stored = self.stored()
        return SIMULATED if stored.mode == SIMULATED and stored.now is not None else REAL

    def for_account(self, account: str) -> StoredMarketClock:
        """Another account's clock."""
        return StoredMarketClock(self.store, account, self.first, self.wall)


class MarketClockService:
    """The market clocks of paper accounts on ``database`` for an authenticated actor."""

    def __init__(self, database: Database, settings: Settings | None = None, *,
                 wall: Callable[[], datetime] = utc_now) -> None:
        self.database, self.settings, self.wall = database, settings or get_settings(), wall
        self.store = MarketClockStore(database)
        self.audit = AuditLog(database, clock=wall)

    # -- reading (no role: every reader of an account needs its clock) ---------------------------
    def clock(self, account: str | None = None) -> AccountClock:
        """The account's clock now, stored on first use (see the module docstring)."""
        account = checked_account(account, self.settings)
        stored = self.store.get(account) or self._first_clock(account)
        return self._read(stored)

    def market_clock(self, account: str | None = None) -> StoredMarketClock:
        """A callable clock of the account for ``ExecutionService`` and the paper broker."""
        return StoredMarketClock(self.store, checked_account(account, self.settings), self._first_clock, self.wall)

    def live_data(self) -> bool:
        """Whether "now" can be real time: Alpaca keys, or stored daily bars that are current."""
        if self.settings.alpaca_api_key and self.settings.alpaca_secret_key:
            return True
        newest = self.store.newest_session()
        return newest is not None and self.wall() - newest <= timedelta(days=self.settings.stale_after_days)

    # -- moving ---------------------------------------------------------------------------------
    @operation(Operation.MOVE_MARKET_CLOCK)
    def advance(self, actor: Actor, account: str | None = None, *, sessions: int = 1) -> ClockAdvance:
        """Step a simulated clock ``sessions`` stored sessions forward: at each, resting orders are matched at the
        new bar and the breakers see the new equity (one transaction with its audit row)."""
        if not 1 <= sessions <= MAX_ADVANCE_SESSIONS:
            raise ConfigError(f"the clock moves 1 to {MAX_ADVANCE_SESSIONS:,} sessions at a time, not {sessions}",
                              details={"field": "days"})
        now = self._simulated(actor, checked_account(account, self.settings))
        steps = self.store.sessions_after(now.now, sessions)
        if not steps:
            raise DataError(f"no stored bar after {now.now:%Y-%m-%d}: the simulated market of account "
                            f"{now.account_id} is at the end of its data; load more (`quantpilot data load …`) or "
                            "trade in another account", code="end_of_data", details={"account_id": now.account_id})
        report = self._step_through(actor, now.account_id, now.now, steps)
        self.store.put(now.account_id, SIMULATED, steps[-1], by=actor.name)
        self.audit.append(actor.name, actor.channel.value, "market_clock.advance", f"account:{now.account_id}",
                          {"from": now.now.isoformat(), "to": steps[-1].isoformat(), "sessions": len(steps),
                           "fills": len(report.fills)})
        return report

    @operation(Operation.MOVE_MARKET_CLOCK)
    def set_to(self, actor: Actor, account: str | None, when: datetime) -> AccountClock:
        """Put a simulated clock on the last stored session at or before ``when``; backward only for an account
        that has no orders (nothing it did may end up in its own future)."""
        now = self._simulated(actor, checked_account(account, self.settings))
        found = self.store.sessions_before(when, 1)
        if not found:
            raise DataError(f"no stored bar at or before {when:%Y-%m-%d}", code="no_bars", details={"when": str(when)})
        if found[0] < now.now and OrderRepository(self.database).list(account_id=now.account_id, limit=1):
            raise ConfigError(f"account {now.account_id} has orders: its clock at {now.now:%Y-%m-%d} only moves "
                              f"forward (use another account to trade from {found[0]:%Y-%m-%d})",
                              code="clock_backward", details={"account_id": now.account_id})
        self.store.put(now.account_id, SIMULATED, found[0], by=actor.name)
        self.audit.append(actor.name, actor.channel.value, "market_clock.set", f"account:{now.account_id}",
                          {"from": now.now.isoformat(), "to": found[0].isoformat()})
        return self._read(self.store.get(now.account_id))  # type: ignore[arg-type]

    @operation(Operation.MOVE_MARKET_CLOCK)
    def use_real_time(self, actor: Actor, account: str | None = None) -> AccountClock:
        """Leave the simulated market: the account's "now" becomes real time (prices older than the risk
        limit's price age are then refused as STALE_PRICE)."""
        current = self.clock(account)
        if not current.simulated:
            return current
        self.store.put(current.account_id, REAL, None, by=actor.name)
        self.audit.append(actor.name, actor.channel.value, "market_clock.real_time", f"account:{current.account_id}",
                          {"from": current.now.isoformat()})
        return self._read(self.store.get(current.account_id))  # type: ignore[arg-type]

    # -- internals ------------------------------------------------------------------------------
    def _step_through(self, actor: Actor, account: str, start: datetime, steps: list[datetime]) -> ClockAdvance:
        from memory.paper_broker import PaperBroker
        from services.book_states import release_api_of
        from services.execution import ExecutionService

        clock = SimulatedClock(start)
        service = ExecutionService(self.database, PaperBroker(self.database, clock=clock, account_id=account),
                                   settings=self.settings, clock=clock, channel=actor.channel.value,
                                   record_clock=self.wall)
        before = service.broker.get_account().equity_usd
        fills: list[Fill] = []
        for ts in steps:
            clock.now = ts
            fills.extend(service.match_resting(actor))
            state = service.trading_state(service.book())  # the breakers see each session's equity
        return ClockAdvance(account, start, steps[-1], len(steps), tuple(fills), before,
                            service.broker.get_account().equity_usd, state.status.value, state.reason, state.release,
                           release_api_of(state, account))

    def replay_account(self, account: str, *, by: str) -> AccountClock:
        """``account`` on a simulated market for a replay (the demo's): a new account gets one at the default
        start even where real time is available (keys or current bars); an account with a clock keeps it."""
        if self.store.get(account) is None:
            start = self._default_start()
            if start is not None:
                self.store.create_if_missing(account, SIMULATED, start, by=by)
        return self.clock(account)

    def _simulated(self, actor: Actor, account: str) -> AccountClock:
        current = self.clock(account)
        if not current.simulated:
            raise ConfigError(f"account {account} runs on real time; only a simulated market clock moves by command",
                              code="real_time_clock", details={"account_id": account})
        return current

    def _first_clock(self, account: str) -> StoredClock:
        if self.live_data():
            return self.store.create_if_missing(account, REAL, None, by="system")
        start = self._default_start()
        if start is None:  # no bars at all: nothing to choose from yet, so nothing is stored
            return StoredClock(account, REAL, None, "system", self.wall())
        return self.store.create_if_missing(account, SIMULATED, start, by="system")

    def _default_start(self) -> datetime | None:
        newest = self.store.newest_session()
        if newest is None:
            return None
        back = self.store.sessions_before(newest, START_SESSIONS_BACK + 1)
        first = self.store.sessions_after(datetime(1, 1, 1, tzinfo=UTC), WARM_UP_SESSIONS + 1)
        return max(back[-1], first[-1])

    def _read(self, stored: StoredClock) -> AccountClock:
        if stored.mode == SIMULATED and stored.now is not None:
            return AccountClock(stored.account_id, SIMULATED, stored.now)
        return AccountClock(stored.account_id, REAL, self.wall())
