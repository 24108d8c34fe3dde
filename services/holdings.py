"""An account's holdings as people and programs read them: each position with its mark, market value and
unrealized P&L at the account's market clock, and the account's cash, equity and realized P&L (dollars).

A position is marked at its symbol's last close at or before the clock, however old (``price_ts`` says how
old); with no close at all it is marked at its average entry price and says so (``mark_usd`` None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from memory.bar_index import BarIndex
from quant.execution.broker import BrokerClient


def exact(value: Decimal) -> str:
    """Every digit of a dollar or share amount, never in exponent form (``0E-10`` -> ``0.0000000000``)."""
    return format(value, "f")


@dataclass(frozen=True)
class Holding:
    """One position: signed shares, average entry, mark and value in dollars; ``price_ts`` = the mark's bar."""

    symbol: str
    qty: Decimal
    avg_entry_usd: Decimal
    mark_usd: Decimal | None
    price_ts: datetime | None

    @property
    def value_usd(self) -> Decimal:
        return self.qty * (self.mark_usd if self.mark_usd is not None else self.avg_entry_usd)

    @property
    def unrealized_pnl_usd(self) -> Decimal:
        return self.value_usd - self.qty * self.avg_entry_usd

    def to_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "qty": exact(self.qty), "avg_entry_price": exact(self.avg_entry_usd),
                "mark_usd": None if self.mark_usd is None else exact(self.mark_usd),
                "price_ts": self.price_ts.isoformat() if self.price_ts else None, "value_usd": exact(self.value_usd),
                "unrealized_pnl_usd": exact(self.unrealized_pnl_usd)}


@dataclass(frozen=True)
class Holdings:
    """The book of one account at ``as_of`` (its market clock), in dollars; ``clock`` describes that clock."""

    account_id: str
    as_of: datetime
    clock: str
    cash_usd: Decimal
    equity_usd: Decimal
    realized_pnl_usd: Decimal | None
    positions: tuple[Holding, ...]

    @property
    def unrealized_pnl_usd(self) -> Decimal:
        return sum((p.unrealized_pnl_usd for p in self.positions), Decimal(0))

    @property
    def market_value_usd(self) -> Decimal:
        return sum((p.value_usd for p in self.positions), Decimal(0))

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "as_of": self.as_of.isoformat(), "clock": self.clock,
                "cash_usd": exact(self.cash_usd), "equity_usd": exact(self.equity_usd),
                "market_value_usd": exact(self.market_value_usd), "unrealized_pnl_usd": exact(self.unrealized_pnl_usd),
                "realized_pnl_usd": None if self.realized_pnl_usd is None else exact(self.realized_pnl_usd),
                "positions": [p.to_dict() for p in self.positions]}


def holdings_of(broker: BrokerClient, bars: BarIndex, *, account_id: str, as_of: datetime,
                clock: str) -> Holdings:
    """The holdings of ``broker``'s account marked at stored closes at or before ``as_of``."""
    held = [p for p in broker.get_positions() if p.qty != 0]
    latest = bars.latest_bars(sorted(p.symbol for p in held), as_of=as_of) if held else {}
    marks = {symbol: (Decimal(repr(row.close)), row.ts) for symbol, row in latest.items()}
    positions = tuple(Holding(p.symbol, p.qty, p.avg_entry_price, *marks.get(p.symbol, (None, None))) for p in held)
    account = broker.get_account()
    ledger = broker.ledger() if hasattr(broker, "ledger") else {}
    return Holdings(account_id, as_of, clock, account.cash_usd, account.equity_usd, ledger.get("realized_pnl_usd"),
                    positions)
