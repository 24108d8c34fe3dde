"""``PaperBroker``: a ``BrokerClient`` whose book lives in Postgres and whose prices are the stored bars.

A market order fills at once at the close of the latest bar known at the clock's now (``BarIndex.latest_bars``
with ``as_of=now``), moved ``slippage_bps`` against the trader. Limit and stop orders are checked against
that bar when placed and against every newer bar in ``match_open_orders`` (a buy limit trades when the
bar's low reaches it, at the better of the limit and the close; a buy stop triggers when the high reaches
it; closes-only bars use the close for both). Fees: ``commission_usd`` per fill plus
``commission_per_share_usd`` a share plus ``commission_bps`` of the notional. Cash, positions (signed shares
and cost basis), fills and orders are rows; each placement and each fill is one transaction. ``fail_next``
injects failures (and crashes) for tests.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from errors import NotFoundError, PermanentBrokerError
from memory.bar_index import BarIndex
from memory.db import Database
from memory.models.execution import FillRow, PaperAccountRow, PaperOrderRow, PositionRow
from memory.orders import intent_from_json, intent_to_json
from quant.execution.broker import Account, BrokerMode, DuplicateClientOrderIdError, Position
from quant.execution.orders import Fill, Order, OrderIntent, OrderStatus, OrderType, Side, to_decimal

BPS = Decimal(10_000)
CENT = Decimal("0.01")
PRICE_TICK = Decimal("0.0001")


@dataclass(frozen=True)
class LatestBar:
    """The newest bar at or before now: dollars per share; ``low``/``high`` fall back to the close."""

    ts: datetime
    close: Decimal
    low: Decimal
    high: Decimal


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PaperBroker:
    """Paper trading on stored bars; ``account_id`` separates books in one database."""

    mode = BrokerMode.PAPER

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = _utc_now, account_id: str = "paper",
                 starting_cash_usd: object = Decimal(100_000), slippage_bps: object = Decimal(5),
                 commission_usd: object = Decimal(0), commission_bps: object = Decimal(0),
                 commission_per_share_usd: object = Decimal(0)) -> None:
        self._db = database
        self._bars = BarIndex(database)
        self._clock = clock
        self.account_id = account_id
        self.starting_cash_usd = to_decimal(starting_cash_usd, "starting_cash_usd", positive=False)
        self.slippage_bps = to_decimal(slippage_bps, "slippage_bps", positive=False)
        self.commission_usd = to_decimal(commission_usd, "commission_usd", positive=False)
        self.commission_bps = to_decimal(commission_bps, "commission_bps", positive=False)
        self.commission_per_share_usd = to_decimal(commission_per_share_usd, "commission_per_share_usd",
                                                   positive=False)
        self._failures: deque[tuple[str, Exception, bool]] = deque()

    # -- test hooks -------------------------------------------------------------------------
    def fail_next(self, operation: str, error: Exception, *, after_effect: bool = False) -> None:
        """The next ``operation`` (place_order, get_order_by_client_id, fill) raises ``error``; with
        ``after_effect`` the work is committed first (the response is lost). ``fill`` fails between
        accepting an order and booking its fill, which stays open until ``match_open_orders``."""
        self._failures.append((operation, error, after_effect))

    def _take(self, operation: str) -> tuple[Exception, bool] | None:
        if self._failures and self._failures[0][0] == operation:
            _, error, after = self._failures.popleft()
            return error, after
        return None

    # -- BrokerClient -----------------------------------------------------------------------
    def place_order(self, intent: OrderIntent) -> Order:
        failure = self._take("place_order")
        if failure and not failure[1]:
            raise failure[0]
        cid = intent.client_order_id
        bar = self.latest_bar(intent.symbol)
        now = self._now()
        with self._db.session() as s:
            if s.get(PaperOrderRow, cid) is not None:
                raise DuplicateClientOrderIdError(f"client order id {cid} already exists at the paper broker",
                                                  details={"client_order_id": cid})
            if bar is None:
                raise PermanentBrokerError(f"no bar for {intent.symbol} at or before {now.isoformat()}",
                                           details={"symbol": intent.symbol})
            account = self._account(s)
            number = account.next_order_no
            account.next_order_no = number + 1
            s.add(PaperOrderRow(client_order_id=cid, account_id=self.account_id,
                                broker_order_id=f"paper-{self.account_id}-{number}", intent=intent_to_json(intent),
                                status=OrderStatus.ACCEPTED.value, filled_qty=0, reason="", created_at=now,
                                updated_at=now))
        crash = self._take("fill")
        if crash:
            raise crash[0]
        with self._db.session() as s:
            self._match(s, s.get(PaperOrderRow, cid, with_for_update=True), bar)
        if failure:
            raise failure[0]
        found = self.get_order_by_client_id(cid)
        assert found is not None
        return found

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        failure = self._take("get_order_by_client_id")
        if failure:
            raise failure[0]
        with self._db.session() as s:
            row = s.get(PaperOrderRow, client_order_id)
            return None if row is None or row.account_id != self.account_id else self._order(row)

    def cancel_order(self, broker_order_id: str) -> None:
        with self._db.session() as s:
            row = s.scalar(select(PaperOrderRow).where(PaperOrderRow.broker_order_id == broker_order_id)
                           .with_for_update())
            if row is None:
                raise NotFoundError(f"no order {broker_order_id} at the paper broker")
            if not OrderStatus(row.status).is_terminal:
                row.status, row.reason, row.updated_at = OrderStatus.CANCELED.value, "canceled", self._now()

    def get_positions(self) -> tuple[Position, ...]:
        with self._db.session() as s:
            rows = s.scalars(select(PositionRow).where(PositionRow.account_id == self.account_id,
                                                       PositionRow.qty != 0).order_by(PositionRow.symbol))
            return tuple(Position(r.symbol, r.qty, r.cost_usd / r.qty) for r in rows)

    def get_account(self) -> Account:
        """Cash and equity (positions marked at the latest bar's close, one read for all of them) in dollars."""
        with self._db.session() as s:
            cash = self._account(s).cash_usd
        positions = self.get_positions()
        bars = self._latest_bars([p.symbol for p in positions]) if positions else {}
        equity = cash + sum((p.qty * self._close(p.symbol, bars.get(p.symbol)) for p in positions), Decimal(0))
        return Account(cash_usd=cash, equity_usd=equity, buying_power_usd=cash)

    # -- paper specifics --------------------------------------------------------------------
    def ledger(self) -> dict[str, Decimal]:
        """starting_cash_usd, cash_usd, fees_paid_usd and realized_pnl_usd of the account."""
        with self._db.session() as s:
            a = self._account(s)
            return {"starting_cash_usd": a.starting_cash_usd, "cash_usd": a.cash_usd,
                    "fees_paid_usd": a.fees_paid_usd, "realized_pnl_usd": a.realized_pnl_usd}

    def mark(self, symbol: str) -> Decimal:
        return self._close(symbol, self.latest_bar(symbol))

    def _close(self, symbol: str, bar: LatestBar | None) -> Decimal:
        if bar is None:
            raise NotFoundError(f"no bar to mark {symbol} at {self._now().isoformat()}", details={"symbol": symbol})
        return bar.close

    def latest_bar(self, symbol: str) -> LatestBar | None:
        return self._latest_bars([symbol]).get(symbol.upper())

    def _latest_bars(self, symbols: list[str]) -> dict[str, LatestBar]:
        """The newest bar at or before now of each symbol that has one."""
        found = {}
        for symbol, row in self._bars.latest_bars(symbols, as_of=self._now()).items():
            close = Decimal(repr(row.close))
            low = close if row.low is None else Decimal(repr(row.low))
            high = close if row.high is None else Decimal(repr(row.high))
            found[symbol] = LatestBar(row.ts, close, low, high)
        return found

    def match_open_orders(self) -> tuple[Fill, ...]:
        """Match every open order against the latest bar if it is newer than the last one it saw."""
        with self._db.session() as s:
            cids = list(s.scalars(select(PaperOrderRow.client_order_id).where(
                PaperOrderRow.account_id == self.account_id,
                PaperOrderRow.status.in_((OrderStatus.ACCEPTED.value, OrderStatus.PARTIALLY_FILLED.value)))
                .order_by(PaperOrderRow.created_at, PaperOrderRow.client_order_id)))
        fills: list[Fill] = []
        for cid in cids:
            with self._db.session() as s:
                row = s.get(PaperOrderRow, cid, with_for_update=True)
                bar = self.latest_bar(row.intent["symbol"])
                if bar is not None and (row.last_bar_ts is None or bar.ts > row.last_bar_ts):
                    fill = self._match(s, row, bar)
                    fills.extend([fill] if fill else [])
        return tuple(fills)

    # -- internals --------------------------------------------------------------------------
    def _now(self) -> datetime:
        value = self._clock()
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def now(self) -> datetime:
        """The market clock's now (UTC): what orders fill at and positions are marked at."""
        return self._now()

    def _account(self, s: Session) -> PaperAccountRow:
        row = s.get(PaperAccountRow, self.account_id, with_for_update=True)
        if row is None:
            row = PaperAccountRow(account_id=self.account_id, starting_cash_usd=self.starting_cash_usd,
                                  cash_usd=self.starting_cash_usd, fees_paid_usd=0, realized_pnl_usd=0,
                                  next_order_no=1)
            s.add(row)
            s.flush()
        return row

    def _order(self, row: PaperOrderRow) -> Order:
        return Order(intent=intent_from_json(row.intent), status=OrderStatus(row.status), filled_qty=row.filled_qty,
                     avg_fill_price=row.avg_fill_price, broker_order_id=row.broker_order_id,
                     created_at=row.created_at, updated_at=row.updated_at, reason=row.reason or "")

    def _fill_price(self, intent: OrderIntent, bar: LatestBar) -> Decimal | None:
        buy = intent.side is Side.BUY
        if intent.order_type in (OrderType.STOP, OrderType.STOP_LIMIT):
            stop = intent.stop_price
            if not (bar.high >= stop if buy else bar.low <= stop):  # type: ignore[operator]
                return None
        slip = self.slippage_bps / BPS
        price = (bar.close * (1 + slip) if buy else bar.close * (1 - slip)).quantize(PRICE_TICK, ROUND_HALF_UP)
        if intent.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            limit = intent.limit_price
            if (buy and bar.low > limit) or (not buy and bar.high < limit):  # type: ignore[operator]
                return None
            price = min(price, limit) if buy else max(price, limit)  # type: ignore[type-var]
        return price

    def _match(self, s: Session, row: PaperOrderRow, bar: LatestBar) -> Fill | None:
        intent = intent_from_json(row.intent)
        row.last_bar_ts = bar.ts
        price = self._fill_price(intent, bar)
        if price is None:
            return None
        qty = intent.qty - row.filled_qty
        fee = (self.commission_usd + qty * (price * self.commission_bps / BPS + self.commission_per_share_usd)
               ).quantize(CENT, ROUND_HALF_UP)
        now = self._now()
        fill = Fill(client_order_id=row.client_order_id, symbol=intent.symbol, side=intent.side, qty=qty,
                    price=price, fee_usd=fee, ts=now, fill_id=f"{row.broker_order_id}-{bar.ts:%Y%m%d%H%M%S}")
        previous = row.filled_qty * (row.avg_fill_price or 0)
        row.filled_qty = row.filled_qty + qty
        row.avg_fill_price = (previous + qty * price) / row.filled_qty
        row.status, row.updated_at = OrderStatus.FILLED.value, now
        s.add(FillRow(fill_id=fill.fill_id, account_id=self.account_id, client_order_id=fill.client_order_id,
                      symbol=fill.symbol, side=fill.side.value, qty=qty, price=price, fee_usd=fee, ts=now))
        self._book(s, fill)
        return fill

    def _book(self, s: Session, fill: Fill) -> None:
        """Cash, fees, realized P&L (average cost) and the position after ``fill``."""
        account = self._account(s)
        pos = s.get(PositionRow, (self.account_id, fill.symbol), with_for_update=True)
        if pos is None:
            pos = PositionRow(account_id=self.account_id, symbol=fill.symbol, qty=Decimal(0), cost_usd=Decimal(0))
            s.add(pos)
        old, delta = pos.qty, fill.signed_qty
        new = old + delta
        if old == 0 or (old > 0) == (delta > 0):
            pos.cost_usd = pos.cost_usd + delta * fill.price
        else:
            closed = min(abs(delta), abs(old)) * (1 if old > 0 else -1)  # signed shares closed
            avg = pos.cost_usd / old
            account.realized_pnl_usd = account.realized_pnl_usd + closed * (fill.price - avg)
            pos.cost_usd = avg * new if (new > 0) == (old > 0) and new != 0 else new * fill.price
        pos.qty, pos.updated_at = new, fill.ts
        if new == 0:
            pos.cost_usd = Decimal(0)
        account.cash_usd = account.cash_usd + fill.cash_delta_usd
        account.fees_paid_usd = account.fees_paid_usd + fill.fee_usd
