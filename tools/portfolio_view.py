"""What the broker holds, marked at the last stored close known at ``as_of`` (shared by risk,
execution and monitoring tools)."""

from __future__ import annotations

from decimal import Decimal

from tools.collaborators import require
from tools.context import ToolContext


def marked_positions(ctx: ToolContext, as_of=None) -> tuple[dict[str, Decimal], dict[str, Decimal], Decimal]:
    """(shares per symbol, last price per symbol in dollars, cash in dollars) from the run's broker.

    A symbol without a stored close at ``as_of`` is marked at its average entry price.
    """
    broker = require(ctx.broker, "broker")
    positions = {p.symbol: p for p in broker.get_positions() if p.qty != 0}
    prices = {s: p.avg_entry_price for s, p in positions.items()}
    if positions and ctx.database is not None:
        from memory.bars import BarStore

        stamp = ctx.as_of(as_of)
        bars = BarStore(ctx.database).read(sorted(positions), stamp - _LOOKBACK, as_of=stamp)
        for symbol, close in bars.groupby("symbol")["close"].last().items():
            prices[symbol] = Decimal(str(close))
    return {s: p.qty for s, p in positions.items()}, prices, broker.get_account().cash_usd


def _lookback():
    import pandas as pd

    return pd.Timedelta(days=30)


_LOOKBACK = _lookback()
