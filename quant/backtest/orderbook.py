"""The event engine's order book and bar step, in numba (shared by the Python-hook path and the
all-compiled path, so both fill identically).

Order kinds: ``TARGET`` (market order to a target fraction of equity, sized at the fill like the
vectorized engine), ``MARKET`` (signed shares), ``LIMIT``, ``STOP``, ``STOP_LIMIT``. Orders are
good until filled or cancelled and never fill on the bar they were submitted (they are submitted
at the bar's close). Fill rules against the next bars (dollars, slippage against the trader):

- market / target: the bar's fill reference (open; close for closes-only data) ± slippage.
- limit buy at L: open if open <= L, else L if low <= L (no slippage: a limit caps the price).
- stop buy at S: triggers when high >= S; fills at max(open, S) + slippage.
- stop-limit buy (S, L): triggers like a stop; on the trigger bar fills at min(max(open, S) +
  slippage, L) if max(open, S) <= L, else rests as a limit L from the next bar.
Sells mirror buys. Closes-only data use the close as open/high/low. Buys are capped by cash;
without ``allow_short`` sells are capped by the position held.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from quant.backtest.kernels import fill_order
from quant.backtest.ledger import apply_fill, buy_fill_price, order_fee, record_open_trade, sell_fill_price

NONE, TARGET, MARKET, LIMIT, STOP, STOP_LIMIT = 0, 1, 2, 3, 4, 5
# book columns
B_ACTIVE, B_KIND, B_AMOUNT, B_LIMIT, B_STOP, B_TRIGGERED, B_SCALE = range(7)
BOOK_COLUMNS = 7
MAX_ORDERS = 256
# account slots
A_CASH, A_POS, A_AVG, A_REALIZED, A_FEES, A_TRADED, A_NTRADES, A_MARK, A_NORDERS, A_EXPOSURE = range(10)
ACCOUNT_SIZE = 10
# cost slots
C_SLIP, C_FIXED, C_BPS, C_SHORT, C_PER_SHARE = range(5)


@njit(cache=True, nogil=True)
def new_account(cash0):
    """Account array: cash, position, avg cost, realised, fees, traded notional, trades, mark, orders, exposure."""
    acct = np.zeros(ACCOUNT_SIZE)
    acct[A_CASH] = cash0
    acct[A_MARK] = np.nan
    return acct


@njit(cache=True, nogil=True)
def add_order(book, acct, kind, amount, limit, stop, scale):
    """Append an order; a new TARGET order replaces any unfilled TARGET order. Returns False when full."""
    n = int(acct[A_NORDERS])
    if kind == TARGET:
        for k in range(n):
            if book[k, B_ACTIVE] != 0.0 and book[k, B_KIND] == TARGET:
                book[k, B_ACTIVE] = 0.0
    if n == book.shape[0]:  # compact away inactive orders
        m = 0
        for k in range(n):
            if book[k, B_ACTIVE] != 0.0:
                book[m] = book[k]
                m += 1
        n = m
        if n == book.shape[0]:
            return False
    book[n, B_ACTIVE] = 1.0
    book[n, B_KIND] = kind
    book[n, B_AMOUNT] = amount
    book[n, B_LIMIT] = limit
    book[n, B_STOP] = stop
    book[n, B_TRIGGERED] = 0.0
    book[n, B_SCALE] = scale
    acct[A_NORDERS] = n + 1
    return True


@njit(cache=True, nogil=True)
def _fill_shares(t, qty, price, acct, cur, trades, record, costs):
    """Book ``qty`` signed shares at ``price`` after the cash / no-short caps; True if filled."""
    fixed = costs[C_FIXED]
    bps = costs[C_BPS]
    pos = acct[A_POS]
    if qty > 0:
        affordable = np.floor(max(acct[A_CASH] - fixed, 0.0) / (price * (1.0 + bps * 1e-4) + costs[C_PER_SHARE]))
        qty = min(qty, affordable)
    elif costs[C_SHORT] == 0.0:
        qty = max(qty, -max(pos, 0.0))
    if qty == 0.0:
        return False
    fee = order_fee(abs(qty), price, fixed, bps, costs[C_PER_SHARE])
    cash, pos, avg, realized, n_tr = apply_fill(t, qty, price, fee, acct[A_CASH], pos, acct[A_AVG],
                                                acct[A_REALIZED], cur, trades, int(acct[A_NTRADES]), record)
    acct[A_CASH] = cash
    acct[A_POS] = pos
    acct[A_AVG] = avg
    acct[A_REALIZED] = realized
    acct[A_NTRADES] = n_tr
    acct[A_FEES] += fee
    acct[A_TRADED] += abs(qty) * price
    return True


@njit(cache=True, nogil=True)
def _try_order(t, order, o, h, lo, ref, acct, cur, trades, record, costs):
    kind = order[B_KIND]
    slip = costs[C_SLIP]
    if kind == TARGET:
        cash, pos, avg, realized, fees, traded, n_tr = fill_order(
            t, order[B_AMOUNT], order[B_SCALE], acct[A_CASH] + acct[A_POS] * ref, ref, acct[A_CASH], acct[A_POS],
            acct[A_AVG], acct[A_REALIZED],
            acct[A_FEES], acct[A_TRADED], cur, trades, int(acct[A_NTRADES]), record, slip, costs[C_FIXED],
            costs[C_BPS], costs[C_PER_SHARE])
        acct[A_CASH] = cash
        acct[A_POS] = pos
        acct[A_AVG] = avg
        acct[A_REALIZED] = realized
        acct[A_FEES] = fees
        acct[A_TRADED] = traded
        acct[A_NTRADES] = n_tr
        return True
    qty = order[B_AMOUNT]
    buy = qty > 0
    if kind == MARKET:
        price = buy_fill_price(ref, slip) if buy else sell_fill_price(ref, slip)
        _fill_shares(t, qty, price, acct, cur, trades, record, costs)
        return True
    if kind == STOP or (kind == STOP_LIMIT and order[B_TRIGGERED] == 0.0):
        stop = order[B_STOP]
        if (buy and h < stop) or (not buy and lo > stop):
            return False
        trigger = max(o, stop) if buy else min(o, stop)
        price = buy_fill_price(trigger, slip) if buy else sell_fill_price(trigger, slip)
        if kind == STOP:
            _fill_shares(t, qty, price, acct, cur, trades, record, costs)
            return True
        order[B_TRIGGERED] = 1.0
        limit = order[B_LIMIT]
        if (buy and trigger > limit) or (not buy and trigger < limit):
            return False
        _fill_shares(t, qty, min(price, limit) if buy else max(price, limit), acct, cur, trades, record, costs)
        return True
    limit = order[B_LIMIT]  # LIMIT, or a STOP_LIMIT triggered on an earlier bar
    if buy:
        if o <= limit:
            price = o
        elif lo <= limit:
            price = limit
        else:
            return False
    else:
        if o >= limit:
            price = o
        elif h >= limit:
            price = limit
        else:
            return False
    _fill_shares(t, qty, price, acct, cur, trades, record, costs)
    return True


@njit(cache=True, nogil=True)
def fill_book(t, open_, high, low, close, fill_ref, book, acct, cur, trades, record, costs):
    """Fill what the book can at bar ``t``, in submission order (nothing when the fill price is unknown)."""
    ref = fill_ref[t]
    if not (ref == ref and ref > 0.0):
        return
    o = open_[t] if open_[t] == open_[t] else ref
    c = close[t] if close[t] == close[t] else o
    h = high[t] if high[t] == high[t] else max(o, c)
    lo = low[t] if low[t] == low[t] else min(o, c)
    n_orders = int(acct[A_NORDERS])
    for k in range(n_orders):
        if book[k, B_ACTIVE] != 0.0 and _try_order(t, book[k], o, h, lo, ref, acct, cur, trades, record, costs):
            book[k, B_ACTIVE] = 0.0
            if acct[A_MARK] != acct[A_MARK]:
                acct[A_MARK] = ref
    while n_orders > 0 and book[n_orders - 1, B_ACTIVE] == 0.0:  # keep the scan short
        n_orders -= 1
    acct[A_NORDERS] = n_orders


@njit(cache=True, nogil=True, inline="always")
def mark_bar(t, close, acct):
    """Mark the account at bar ``t``'s close (the last known close when missing); returns equity ($)."""
    c = close[t]
    if c == c:
        acct[A_MARK] = c
    if acct[A_POS] != 0.0:
        acct[A_EXPOSURE] += 1
        return acct[A_CASH] + acct[A_POS] * acct[A_MARK]
    return acct[A_CASH]


@njit(cache=True, nogil=True)
def process_bar(t, open_, high, low, close, fill_ref, book, acct, cur, trades, record, costs):
    """One bar: fill the book, then mark equity at the close. Returns the equity in dollars."""
    if acct[A_NORDERS] > 0:
        fill_book(t, open_, high, low, close, fill_ref, book, acct, cur, trades, record, costs)
    return mark_bar(t, close, acct)


@njit(cache=True, nogil=True)
def open_orders(book, acct):
    """Number of active orders in the book."""
    count = 0
    for k in range(int(acct[A_NORDERS])):
        if book[k, B_ACTIVE] != 0.0:
            count += 1
    return count


@njit(cache=True, nogil=True)
def finish(book, acct, cur, trades, record, last_bar):
    """Record the open trade marked at the last close; returns (n_trades, unfilled orders)."""
    n_tr = record_open_trade(cur, last_bar, acct[A_MARK], acct[A_POS], acct[A_AVG], trades, int(acct[A_NTRADES]),
                             record)
    return n_tr, open_orders(book, acct)


@njit(cache=True, nogil=True)
def run_compiled(open_, high, low, close, fill_ref, kind, amount, limit, stop, scale, cash0, costs, equity, position,
                 trades, record):
    """All-compiled event loop: at each bar fill the book, then submit ``kind[t]`` (NONE = no order)
    decided at bar t's close. Returns (account, n_trades, unfilled orders)."""
    acct = new_account(cash0)
    book = np.zeros((MAX_ORDERS, BOOK_COLUMNS))
    cur = np.zeros(9)
    n = close.shape[0]
    for t in range(n):
        if acct[A_NORDERS] > 0:  # the call is the cost of a bar: skip it when the book is empty
            fill_book(t, open_, high, low, close, fill_ref, book, acct, cur, trades, record, costs)
        equity[t] = mark_bar(t, close, acct)
        position[t] = acct[A_POS]
        if kind[t] != NONE:
            add_order(book, acct, kind[t], amount[t], limit[t], stop[t], scale[t])
    n_tr, unfilled = finish(book, acct, cur, trades, record, n - 1)
    return acct, n_tr, unfilled
