"""Scalar numba functions shared by every engine: fill prices, fees, target quantities and the
fill ledger (cash, position, average cost, realised P&L, round-trip trade records).

Sharing them is what makes the vectorized, grid and event engines agree to the cent.

Units: prices and cash in dollars, quantities in whole shares (float64 holding integers,
negative = short), costs in basis points. A *trade* is one position lifecycle: it opens when
the position leaves zero and closes when it returns to zero or flips sign.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# columns of a trade record row
TRADE_COLUMNS = ("entry_bar", "exit_bar", "direction", "quantity", "entry_price", "exit_price", "pnl", "fees")
N_TRADE_COLUMNS = len(TRADE_COLUMNS)
# slots of the open-trade scratch array ``cur``
_ENTRY_BAR, _DIR, _MAX_QTY, _ENTRY_NOTIONAL, _ENTRY_QTY, _EXIT_NOTIONAL, _EXIT_QTY, _FEES, _GROSS = range(9)
CUR_SIZE = 9


@njit(cache=True, nogil=True, error_model="numpy")
def buy_fill_price(reference, slippage_bps):
    """Price paid for a buy: ``reference`` moved against the trader by ``slippage_bps``."""
    return reference * (1.0 + slippage_bps * 1e-4)


@njit(cache=True, nogil=True, error_model="numpy")
def sell_fill_price(reference, slippage_bps):
    """Price received for a sell: ``reference`` moved against the trader by ``slippage_bps``."""
    return reference * (1.0 - slippage_bps * 1e-4)


@njit(cache=True, nogil=True, error_model="numpy")
def order_fee(quantity_abs, price, commission_per_order, commission_bps, commission_per_share):
    """Dollars charged for one order of ``quantity_abs`` shares at ``price``: a fixed amount per order, basis
    points of the notional and an amount per share."""
    return commission_per_order + quantity_abs * (price * commission_bps * 1e-4 + commission_per_share)


@njit(cache=True, nogil=True, error_model="numpy")
def _shares_for(notional, unit_cost):
    # whole shares toward zero: never spend more than the budget, long or short
    q = np.floor(abs(notional) / unit_cost)
    return q if notional >= 0 else -q


@njit(cache=True, nogil=True, error_model="numpy")
def order_delta(fraction, scale, equity, cash, position, reference, slippage_bps, commission_per_order,
                commission_bps, commission_per_share):
    """Signed shares to trade so the position matches ``fraction * scale`` of ``equity``.

    The target is computed at the buy fill price when it means buying and at the sell fill
    price when it means selling; buys are capped by the cash available after the fixed fee.
    Returns 0.0 when no order is needed or affordable.
    """
    budget = fraction * scale * max(equity - commission_per_order, 0.0)
    bps = 1.0 + commission_bps * 1e-4
    px_buy = buy_fill_price(reference, slippage_bps)
    delta = _shares_for(budget, px_buy * bps + commission_per_share) - position
    if delta > 0:
        affordable = np.floor(max(cash - commission_per_order, 0.0) / (px_buy * bps + commission_per_share))
        return min(delta, affordable)
    px_sell = sell_fill_price(reference, slippage_bps)
    delta = _shares_for(budget, px_sell * bps + commission_per_share) - position
    return delta if delta < 0 else 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def _close_record(cur, bar, trades, n_trades, record):
    if record and n_trades < trades.shape[0]:
        trades[n_trades, 0] = cur[_ENTRY_BAR]
        trades[n_trades, 1] = bar
        trades[n_trades, 2] = cur[_DIR]
        trades[n_trades, 3] = cur[_MAX_QTY]
        trades[n_trades, 4] = cur[_ENTRY_NOTIONAL] / cur[_ENTRY_QTY]
        trades[n_trades, 5] = cur[_EXIT_NOTIONAL] / cur[_EXIT_QTY] if cur[_EXIT_QTY] > 0 else np.nan
        trades[n_trades, 6] = cur[_GROSS] - cur[_FEES]
        trades[n_trades, 7] = cur[_FEES]
    return n_trades + 1


@njit(cache=True, nogil=True, error_model="numpy")
def _open(cur, bar, qty_signed, price, fee):
    cur[_ENTRY_BAR] = bar
    cur[_DIR] = 1.0 if qty_signed > 0 else -1.0
    cur[_MAX_QTY] = abs(qty_signed)
    cur[_ENTRY_NOTIONAL] = abs(qty_signed) * price
    cur[_ENTRY_QTY] = abs(qty_signed)
    cur[_EXIT_NOTIONAL] = 0.0
    cur[_EXIT_QTY] = 0.0
    cur[_FEES] = fee
    cur[_GROSS] = 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def apply_fill(bar, delta, price, fee, cash, position, avg_cost, realized, cur, trades, n_trades, record):
    """Book a fill of ``delta`` shares at ``price`` costing ``fee``.

    Returns ``(cash, position, avg_cost, realized, n_trades)``; ``realized`` is gross realised
    P&L (before fees), so ``cash + position*price + fees = initial + realized + position*(price -
    avg_cost)`` holds at every bar. Closed trades are written to ``trades`` when ``record``.
    """
    cash -= delta * price + fee
    if position == 0.0:
        _open(cur, bar, delta, price, fee)
        return cash, delta, price, realized, n_trades
    same_side = (delta > 0) == (position > 0)
    if same_side:
        new_abs = abs(position) + abs(delta)
        avg_cost = (avg_cost * abs(position) + price * abs(delta)) / new_abs
        cur[_ENTRY_NOTIONAL] += abs(delta) * price
        cur[_ENTRY_QTY] += abs(delta)
        cur[_MAX_QTY] = max(cur[_MAX_QTY], new_abs)
        cur[_FEES] += fee
        return cash, position + delta, avg_cost, realized, n_trades
    closed = min(abs(delta), abs(position))
    gross = closed * (price - avg_cost) * (1.0 if position > 0 else -1.0)
    realized += gross
    cur[_GROSS] += gross
    cur[_EXIT_NOTIONAL] += closed * price
    cur[_EXIT_QTY] += closed
    fee_close = fee * closed / abs(delta)
    cur[_FEES] += fee_close
    new_position = position + delta
    if closed < abs(position):
        return cash, new_position, avg_cost, realized, n_trades
    n_trades = _close_record(cur, bar, trades, n_trades, record)
    if new_position != 0.0:  # flipped: the rest opens a new trade carrying the rest of the fee
        _open(cur, bar, new_position, price, fee - fee_close)
        return cash, new_position, price, realized, n_trades
    return cash, 0.0, 0.0, realized, n_trades


@njit(cache=True, nogil=True, error_model="numpy")
def record_open_trade(cur, bar, mark, position, avg_cost, trades, n_trades, record):
    """Write the still-open trade marked at ``mark`` (exit_bar = -1); returns the new count."""
    if position == 0.0:
        return n_trades
    if record and n_trades < trades.shape[0]:
        unrealized = position * (mark - avg_cost)
        trades[n_trades, 0] = cur[_ENTRY_BAR]
        trades[n_trades, 1] = -1.0
        trades[n_trades, 2] = cur[_DIR]
        trades[n_trades, 3] = cur[_MAX_QTY]
        trades[n_trades, 4] = cur[_ENTRY_NOTIONAL] / cur[_ENTRY_QTY]
        trades[n_trades, 5] = mark
        trades[n_trades, 6] = cur[_GROSS] + unrealized - cur[_FEES]
        trades[n_trades, 7] = cur[_FEES]
    return n_trades + 1
