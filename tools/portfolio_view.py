"""What the broker holds, marked at the last stored close known at ``as_of`` (shared by risk,
execution and monitoring tools)."""

from __future__ import annotations

from decimal import Decimal

from tools.collaborators import require
from tools.context import ToolContext


def marked_positions(ctx: ToolContext, as_of=None) -> tuple[dict[str, Decimal], dict[str, Decimal], Decimal]:
    """(shares per symbol, last price per symbol in dollars, cash in dollars) from the run's broker.

    Each symbol is marked at its last stored close at or before ``as_of`` (default: the broker's market clock),
    however old (as the paper broker
    marks its equity: an old price still shows a loss, the entry price would hide it); only a symbol with no
    close at all is marked at its average entry price.
    """
    broker = require(ctx.broker, "broker")
    positions = {p.symbol: p for p in broker.get_positions() if p.qty != 0}
    prices = {s: p.avg_entry_price for s, p in positions.items()}
    if positions and ctx.database is not None:
        from memory.bars import BarStore

        market_now = broker.now() if as_of is None and hasattr(broker, "now") else None  # the account's clock
        latest = BarStore(ctx.database).latest(sorted(positions), as_of=ctx.as_of(market_now or as_of))
        for symbol, close in zip(latest["symbol"], latest["close"], strict=True):
            prices[symbol] = Decimal(str(close))
    return {s: p.qty for s, p in positions.items()}, prices, broker.get_account().cash_usd

