"""The book and the market as the risk policy sees them: frozen values, dollars as ``Decimal``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from quant.execution.orders import OrderIntent, to_decimal

ZERO = Decimal(0)


def _frozen_map(values: Mapping[str, object], name: str, *, positive: bool) -> MappingProxyType[str, Decimal]:
    return MappingProxyType({str(k).upper(): to_decimal(v, f"{name}[{k}]", positive=positive)
                             for k, v in values.items()})


@dataclass(frozen=True)
class Book:
    """Cash and equity in dollars, signed shares per symbol, and orders sent but not yet done.

    ``peak_equity_usd`` is the high-water mark; ``day_start_equity_usd`` the equity at the session open.
    """

    cash_usd: Decimal
    positions: Mapping[str, Decimal]
    equity_usd: Decimal
    peak_equity_usd: Decimal
    day_start_equity_usd: Decimal
    open_orders: tuple[OrderIntent, ...] = ()

    def __post_init__(self) -> None:
        for name in ("cash_usd", "equity_usd", "peak_equity_usd", "day_start_equity_usd"):
            object.__setattr__(self, name, Decimal(str(getattr(self, name))))
        object.__setattr__(self, "positions", MappingProxyType(
            {str(k).upper(): Decimal(str(v)) for k, v in self.positions.items() if Decimal(str(v)) != 0}))
        object.__setattr__(self, "open_orders", tuple(self.open_orders))

    def position_qty(self, symbol: str) -> Decimal:
        return self.positions.get(symbol.upper(), ZERO)

    def committed_qty(self, symbol: str) -> Decimal:
        """Shares held plus shares of open orders (as if they all fill): the exposure already decided."""
        pending = sum((o.signed_qty for o in self.open_orders if o.symbol == symbol.upper()), ZERO)
        return self.position_qty(symbol) + pending

    def committed_symbols(self) -> frozenset[str]:
        symbols = set(self.positions) | {o.symbol for o in self.open_orders}
        return frozenset(s for s in symbols if self.committed_qty(s) != 0)

    @classmethod
    def marked(cls, cash_usd: object, positions: Mapping[str, object], prices: Mapping[str, object], *,
               peak_equity_usd: object | None = None, day_start_equity_usd: object | None = None,
               open_orders: tuple[OrderIntent, ...] = ()) -> Book:
        """A book whose equity is cash plus positions marked at ``prices`` (dollars per share)."""
        qty = {k.upper(): Decimal(str(v)) for k, v in positions.items()}
        px = {k.upper(): Decimal(str(v)) for k, v in prices.items()}
        equity = Decimal(str(cash_usd)) + sum((q * px[s] for s, q in qty.items() if q), ZERO)
        return cls(cash_usd=Decimal(str(cash_usd)), positions=qty, equity_usd=equity,
                   peak_equity_usd=max(equity, Decimal(str(peak_equity_usd or equity))),
                   day_start_equity_usd=Decimal(str(day_start_equity_usd or equity)), open_orders=open_orders)


@dataclass(frozen=True)
class MarketSnapshot:
    """Per symbol: last price (dollars), average daily volume (shares), stop distance (dollars per share,
    e.g. 2 x ATR), and optionally a sector name; ``price_ts`` = when each last price was stamped and ``as_of``
    = the decision time (together: how old a price is; a snapshot without them never calls a price stale)."""

    last_price: Mapping[str, Decimal]
    adv_shares: Mapping[str, Decimal] = field(default_factory=dict)
    stop_distance_usd: Mapping[str, Decimal] = field(default_factory=dict)
    sector: Mapping[str, str] = field(default_factory=dict)
    price_ts: Mapping[str, datetime] = field(default_factory=dict)
    as_of: datetime | None = None

    def price_age_days(self, symbol: str) -> float | None:
        """Days between the symbol's last price and ``as_of`` (None when either is unknown)."""
        stamped = self.price_ts.get(symbol.upper())
        if stamped is None or self.as_of is None:
            return None
        return (self.as_of - stamped).total_seconds() / 86_400

    def __post_init__(self) -> None:
        object.__setattr__(self, "last_price", _frozen_map(self.last_price, "last_price", positive=True))
        object.__setattr__(self, "adv_shares", _frozen_map(self.adv_shares, "adv_shares", positive=False))
        object.__setattr__(self, "stop_distance_usd",
                           _frozen_map(self.stop_distance_usd, "stop_distance_usd", positive=False))
        object.__setattr__(self, "sector", MappingProxyType({k.upper(): v for k, v in self.sector.items()}))
        object.__setattr__(self, "price_ts", MappingProxyType({k.upper(): v for k, v in self.price_ts.items()}))
