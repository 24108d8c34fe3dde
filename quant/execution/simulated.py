"""``SimulatedBroker``: an in-memory broker for backtests and tests.

Fills market orders at the last price moved by ``slippage_bps`` against the trader, limit/stop orders
when the last price crosses them, optionally in partial slices. Fees are ``commission_usd`` per fill
plus ``commission_bps`` of the notional. ``fail_next`` injects broker failures (before or after the
broker has accepted the order) so tests can exercise crashes and lost responses.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from errors import BrokerError, NotFoundError, PermanentBrokerError
from quant.execution.broker import Account, BrokerMode, DuplicateClientOrderIdError, Position
from quant.execution.oms import apply_fill, transition
from quant.execution.orders import Fill, Order, OrderIntent, OrderStatus, OrderType, Side, to_decimal

BPS = Decimal(10_000)
CENT = Decimal("0.01")
PRICE_TICK = Decimal("0.0001")


@dataclass(frozen=True)
class InjectedFailure:
    """Raise ``error`` on the next ``operation`` call; ``after_effect`` = the broker acted before failing."""

    operation: str
    error: BrokerError
    after_effect: bool = False


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SimulatedBroker:
    """In-memory broker; every state change is deterministic given prices, calls and the clock."""

    def __init__(self, prices: Mapping[str, object], *, cash_usd: object = Decimal(100_000),
                 slippage_bps: object = Decimal(0), commission_usd: object = Decimal(0),
                 commission_bps: object = Decimal(0), partial_fill_fraction: object | None = None,
                 clock: Callable[[], datetime] = _utc_now, mode: BrokerMode = BrokerMode.BACKTEST) -> None:
        self.mode = mode
        self._prices = {s.upper(): to_decimal(p, f"price[{s}]") for s, p in prices.items()}
        self.initial_cash_usd = to_decimal(cash_usd, "cash_usd", positive=False)
        self.cash_usd = self.initial_cash_usd
        self.slippage_bps = to_decimal(slippage_bps, "slippage_bps", positive=False)
        self.commission_usd = to_decimal(commission_usd, "commission_usd", positive=False)
        self.commission_bps = to_decimal(commission_bps, "commission_bps", positive=False)
        self.partial_fill_fraction = (None if partial_fill_fraction is None
                                      else to_decimal(partial_fill_fraction, "partial_fill_fraction"))
        self._clock = clock
        self._orders: dict[str, Order] = {}
        self._by_broker_id: dict[str, str] = {}
        self._positions: dict[str, Decimal] = {}
        self._cost_usd: dict[str, Decimal] = {}
        self.fills: list[Fill] = []
        self.placed_client_order_ids: list[str] = []
        self.duplicate_attempts = 0
        self._failures: deque[InjectedFailure] = deque()

    # -- test hooks -------------------------------------------------------------------------
    def fail_next(self, operation: str, error: BrokerError, *, after_effect: bool = False) -> None:
        """Make the next call of ``operation`` raise ``error`` (after doing its work if ``after_effect``)."""
        self._failures.append(InjectedFailure(operation, error, after_effect))

    def set_price(self, symbol: str, price: object) -> tuple[Fill, ...]:
        """Move the last price of ``symbol`` and match resting orders; returns the new fills."""
        self._prices[symbol.upper()] = to_decimal(price, f"price[{symbol}]")
        fills: list[Fill] = []
        for cid, order in list(self._orders.items()):
            if order.intent.symbol == symbol.upper() and not order.is_terminal:
                fills.extend(self._match(cid))
        return tuple(fills)

    # -- BrokerClient -----------------------------------------------------------------------
    def place_order(self, intent: OrderIntent) -> Order:
        failure = self._take_failure("place_order")
        if failure and not failure.after_effect:
            raise failure.error
        cid = intent.client_order_id
        if cid in self._orders:
            self.duplicate_attempts += 1
            raise DuplicateClientOrderIdError(f"client order id {cid} already exists at the broker",
                                              details={"client_order_id": cid})
        if intent.symbol not in self._prices:
            raise PermanentBrokerError(f"unknown symbol {intent.symbol}", details={"symbol": intent.symbol})
        now = self._clock()
        broker_id = f"sim-{len(self._by_broker_id) + 1}"
        order, _ = transition(Order(intent=intent, created_at=now), OrderStatus.SUBMITTED, ts=now,
                              broker_order_id=broker_id)
        order, _ = transition(order, OrderStatus.ACCEPTED, ts=now)
        self._orders[cid] = order
        self._by_broker_id[broker_id] = cid
        self.placed_client_order_ids.append(cid)
        self._match(cid)
        if failure:
            raise failure.error
        return self._orders[cid]

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        failure = self._take_failure("get_order_by_client_id")
        if failure:
            raise failure.error
        return self._orders.get(client_order_id)

    def cancel_order(self, broker_order_id: str) -> None:
        cid = self._by_broker_id.get(broker_order_id) or (
            broker_order_id if broker_order_id in self._orders else None)
        if cid is None:
            raise NotFoundError(f"no order {broker_order_id} at the simulated broker")
        order = self._orders[cid]
        if not order.is_terminal:
            self._orders[cid], _ = transition(order, OrderStatus.CANCELED, ts=self._clock(), reason="canceled")

    def get_positions(self) -> tuple[Position, ...]:
        return tuple(Position(s, q, (self._cost_usd[s] / q) if q else Decimal(0))
                     for s, q in sorted(self._positions.items()) if q != 0)

    def get_account(self) -> Account:
        equity = self.cash_usd + sum((q * self._prices[s] for s, q in self._positions.items()), Decimal(0))
        return Account(cash_usd=self.cash_usd, equity_usd=equity, buying_power_usd=self.cash_usd)

    def expire_day_orders(self) -> None:
        """End of session: DAY orders still open expire."""
        for cid, order in list(self._orders.items()):
            if not order.is_terminal and order.intent.time_in_force.value == "day":
                self._orders[cid], _ = transition(order, OrderStatus.EXPIRED, ts=self._clock(), reason="session end")

    @property
    def orders(self) -> tuple[Order, ...]:
        return tuple(self._orders.values())

    def position_qty(self, symbol: str) -> Decimal:
        return self._positions.get(symbol.upper(), Decimal(0))

    def last_price(self, symbol: str) -> Decimal:
        return self._prices[symbol.upper()]

    # -- matching ---------------------------------------------------------------------------
    def _take_failure(self, operation: str) -> InjectedFailure | None:
        if self._failures and self._failures[0].operation == operation:
            return self._failures.popleft()
        return None

    def _fill_price(self, intent: OrderIntent, last: Decimal) -> Decimal | None:
        """Execution price in dollars, or None when the order does not trade at ``last``."""
        buy = intent.side is Side.BUY
        if intent.order_type in (OrderType.STOP, OrderType.STOP_LIMIT):
            triggered = last >= intent.stop_price if buy else last <= intent.stop_price  # type: ignore[operator]
            if not triggered:
                return None
        slip = self.slippage_bps / BPS
        price = (last * (1 + slip) if buy else last * (1 - slip)).quantize(PRICE_TICK, ROUND_HALF_UP)
        if intent.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            limit = intent.limit_price
            assert limit is not None
            if (buy and last > limit) or (not buy and last < limit):
                return None
            price = min(price, limit) if buy else max(price, limit)
        return price

    def _match(self, cid: str) -> list[Fill]:
        order = self._orders[cid]
        price = self._fill_price(order.intent, self._prices[order.intent.symbol])
        if price is None:
            return []
        qty = order.remaining_qty
        if self.partial_fill_fraction is not None and self.partial_fill_fraction < 1:
            slice_qty = (order.intent.qty * self.partial_fill_fraction).quantize(Decimal(1), ROUND_DOWN)
            qty = min(qty, max(slice_qty, Decimal(1)))
        fee = (self.commission_usd + qty * price * self.commission_bps / BPS).quantize(CENT, ROUND_HALF_UP)
        fill = Fill(client_order_id=cid, symbol=order.intent.symbol, side=order.intent.side, qty=qty,
                    price=price, fee_usd=fee, ts=self._clock(), fill_id=f"{cid}-{len(self.fills) + 1}")
        self._orders[cid], _ = apply_fill(order, fill)
        self._book(fill)
        return [fill]

    def _book(self, fill: Fill) -> None:
        symbol = fill.symbol
        old = self._positions.get(symbol, Decimal(0))
        new = old + fill.signed_qty
        cost = self._cost_usd.get(symbol, Decimal(0))
        if old == 0 or (old > 0) == (fill.signed_qty > 0):
            cost += fill.signed_qty * fill.price
        elif (new > 0) == (old > 0) and new != 0:
            cost = cost * new / old
        else:
            cost = new * fill.price
        self._positions[symbol] = new
        self._cost_usd[symbol] = cost if new != 0 else Decimal(0)
        self.cash_usd += fill.cash_delta_usd
        self.fills.append(fill)

