"""The single-account simulation loop (numba): one symbol, one target-position series.

Timing contract: the target decided at bar t's close is an order that fills at the first later
bar whose fill price (open, or close for closes-only data) is known — never on bar t itself.
A NaN target means "no new decision". An order still pending after the last bar is returned
as unfilled. Equity is marked at each bar's close (the last known close when missing).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from quant.backtest.ledger import (
    CUR_SIZE,
    apply_fill,
    buy_fill_price,
    order_delta,
    order_fee,
    record_open_trade,
    sell_fill_price,
)

# slots of the per-run summary returned by ``simulate``
STAT_FIELDS = ("n_trades", "fees", "unfilled", "exposure_bars", "traded_notional", "final_equity", "realized")
N_STATS = len(STAT_FIELDS)


@njit(cache=True, nogil=True, error_model="numpy")
def clip_target(f, allow_short):
    """Target fraction clipped to [-1, 1], or [0, 1] when shorting is not allowed."""
    lo = -1.0 if allow_short else 0.0
    return min(max(f, lo), 1.0)


@njit(cache=True, nogil=True, error_model="numpy")
def fill_order(bar, fraction, scale, equity, reference, cash, position, avg_cost, realized, fees, traded, cur,
               trades, n_trades, record, slippage_bps, commission_per_order, commission_bps, commission_per_share):
    """Size (against ``equity``, dollars) and book one target order at ``reference``; returns the
    updated account tuple."""
    delta = order_delta(fraction, scale, equity, cash, position, reference, slippage_bps, commission_per_order,
                        commission_bps, commission_per_share)
    if delta == 0.0:
        return cash, position, avg_cost, realized, fees, traded, n_trades
    price = buy_fill_price(reference, slippage_bps) if delta > 0 else sell_fill_price(reference, slippage_bps)
    fee = order_fee(abs(delta), price, commission_per_order, commission_bps, commission_per_share)
    cash, position, avg_cost, realized, n_trades = apply_fill(bar, delta, price, fee, cash, position, avg_cost,
                                                              realized, cur, trades, n_trades, record)
    return cash, position, avg_cost, realized, fees + fee, traded + abs(delta) * price, n_trades


@njit(cache=True, nogil=True, error_model="numpy")
def simulate(fill_ref, close, target, scale, start, end, cash0, slippage_bps, commission_per_order, commission_bps,
             commission_per_share, allow_short, equity_out, position_out, trades, record, stats):
    """Run bars ``[start, end)``; writes ``equity_out[t]``/``position_out[t]`` for those bars, trades
    (when ``record``) and the ``STAT_FIELDS`` summary into ``stats``.

    The target at ``start - 1`` (warm-up history) is carried in as the first decision, so a
    position held at the window start is entered at the first bar of the window.
    """
    cash = cash0
    position = 0.0
    avg_cost = 0.0
    realized = 0.0
    fees = 0.0
    traded = 0.0
    n_trades = 0
    exposure = 0
    cur = np.zeros(CUR_SIZE)
    decided = 0.0
    pending = False
    pend_fraction = 0.0
    pend_scale = 1.0
    mark = np.nan
    if start > 0:
        f = target[start - 1]
        if f == f:
            decided = clip_target(f, allow_short)
            if decided != 0.0:
                pending = True
                pend_fraction = decided
                pend_scale = scale[start - 1]
    for t in range(start, end):
        if pending:
            ref = fill_ref[t]
            if ref == ref and ref > 0.0:
                cash, position, avg_cost, realized, fees, traded, n_trades = fill_order(
                    t, pend_fraction, pend_scale, cash + position * ref, ref, cash, position, avg_cost, realized,
                    fees, traded, cur, trades, n_trades, record, slippage_bps, commission_per_order, commission_bps,
                    commission_per_share)
                pending = False
                if mark != mark:
                    mark = ref
        c = close[t]
        if c == c:
            mark = c
        equity_out[t] = cash + position * mark if position != 0.0 else cash
        position_out[t] = position
        if position != 0.0:
            exposure += 1
        f = target[t]
        if f == f:
            f = clip_target(f, allow_short)
            if f != decided:
                decided = f
                pending = True
                pend_fraction = f
                pend_scale = scale[t]
    n_trades = record_open_trade(cur, end - 1, mark, position, avg_cost, trades, n_trades, record)
    stats[0] = n_trades
    stats[1] = fees
    stats[2] = 1.0 if pending else 0.0
    stats[3] = exposure
    stats[4] = traded
    stats[5] = cash + position * mark if position != 0.0 else cash
    stats[6] = realized
