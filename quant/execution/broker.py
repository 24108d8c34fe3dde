"""The broker boundary: ``BrokerClient`` (what every broker adapter offers) and its account values.

Money is ``Decimal`` dollars, quantities ``Decimal`` shares (negative = short).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

from errors import PermanentBrokerError
from quant.execution.orders import Order, OrderIntent


class DuplicateClientOrderIdError(PermanentBrokerError):
    """The broker already holds an order with this client order id (Alpaca answers 422)."""

    code = "duplicate_client_order_id"


class BrokerMode(StrEnum):
    """BACKTEST = simulated fills; PAPER = the broker's paper account; LIVE = real money."""

    BACKTEST = "backtest"
    PAPER = "paper"
    LIVE = "live"


@dataclass(frozen=True)
class Position:
    """Shares held in ``symbol`` (negative = short) at ``avg_entry_price`` dollars per share."""

    symbol: str
    qty: Decimal
    avg_entry_price: Decimal


@dataclass(frozen=True)
class Account:
    """Cash, equity and buying power in dollars."""

    cash_usd: Decimal
    equity_usd: Decimal
    buying_power_usd: Decimal


@runtime_checkable
class BrokerClient(Protocol):
    """What the execution path needs from a broker. Implementations raise ``TemporaryBrokerError``
    (retry may help) or ``PermanentBrokerError`` (it will not)."""

    mode: BrokerMode

    def place_order(self, intent: OrderIntent) -> Order:
        """Send ``intent`` with its ``client_order_id``; returns the broker's view of the order."""
        ...

    def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        """The order placed with ``client_order_id``, or None if the broker never received it."""
        ...

    def cancel_order(self, broker_order_id: str) -> None:
        """Ask the broker to cancel the order (a no-op for an order already terminal)."""
        ...

    def get_positions(self) -> tuple[Position, ...]:
        ...

    def get_account(self) -> Account:
        ...
