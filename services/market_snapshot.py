"""The market as the risk policy sees it at one moment: last price (and when it was stamped), average volume and
a stop distance per symbol, from stored bars at or before that moment only (plain rows: no frame library)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal

from memory.bar_index import BarIndex
from quant.risk.book import MarketSnapshot

HISTORY = timedelta(days=60)  # bars behind the decision time that average volume and stop distances read


def market_snapshot(bars: BarIndex, symbols: list[str], now: datetime) -> MarketSnapshot:
    """The snapshot of ``symbols`` at ``now``: each last price however old (``price_ts`` says how old; the policy
    decides whether that is stale), and from the ``HISTORY`` before ``now`` the 20-bar average volume (shares) and
    a 2 x ATR(14) stop distance (dollars; mean absolute close change for closes-only data)."""
    wanted = sorted({s.upper() for s in symbols})
    latest = bars.latest_bars(wanted, as_of=now) if wanted else {}
    last = {s: Decimal(repr(row.close)) for s, row in latest.items()}
    stamped = {s: row.ts for s, row in latest.items()}
    adv, stop = {}, {}
    for symbol in latest:
        rows = bars.read_rows(symbol, now - HISTORY, now)
        volume = [v for v in rows.volume[-20:] if v is not None]
        if volume:
            adv[symbol] = Decimal(repr(math.fsum(volume) / len(volume)))
        ranges = list(map(_true_range, rows.high, rows.low, rows.close, (None, *rows.close[:-1])))[-14:]
        known = [r for r in ranges if r is not None]
        atr = math.fsum(known) / len(known) if known else 0.0
        if atr > 0:
            stop[symbol] = Decimal(repr(round(2 * atr, 6)))
    return MarketSnapshot(last_price=last, adv_shares=adv, stop_distance_usd=stop, price_ts=stamped, as_of=now)


def _true_range(high: float | None, low: float | None, close: float, prev: float | None) -> float | None:
    """A bar's true range (dollars): the largest known of high - low, |high - prev close| and |low - prev close|;
    for a closes-only bar |close - prev close|; None when nothing is known (a series' first closes-only bar)."""
    if high is None:
        return None if prev is None else abs(close - prev)
    spans = [high - low] if low is not None else []
    if prev is not None:
        spans += [abs(high - prev)] + ([abs(low - prev)] if low is not None else [])
    return max(spans) if spans else None
