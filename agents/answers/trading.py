"""Answers about trading: an order's state, the positions held, and a reconciliation against the broker."""

from __future__ import annotations

from agents.answers.outcome import ToolOutcome, typed
from quant.display import counted, money, quantity, text_table
from quant.display.book import holdings_text
from tools.execution import OrderState, Positions, Reconciliation


def write_order(outcome: ToolOutcome) -> str:
    order = typed(OrderState, outcome.payload)
    if order is None:
        return ""
    what = f"{order.side} {quantity(order.qty)} {order.symbol}"
    text = f"Order {order.client_order_id} ({what}) is {order.order_status.replace('_', ' ')}"
    if order.filled_qty:
        text += f": {quantity(order.filled_qty)} filled" + (
            f" at {money(order.avg_fill_price)} on average" if order.avg_fill_price is not None else "")
    return text + f'. Ask "status of order {order.client_order_id}" to follow it.'


def write_positions(outcome: ToolOutcome) -> str:
    book = typed(Positions, outcome.payload)
    if book is None:
        return ""
    if book.account_id is not None:  # marked at the account's clock: the same text as `quantpilot positions`
        return f"{book.mode.capitalize()} " + holdings_text(book.model_dump())
    head = (f"{book.mode.capitalize()} account: equity {money(book.equity_usd)}, cash {money(book.cash_usd)}, "
            f"{counted(len(book.positions), 'open position')}")
    if not book.positions:
        return head + "."
    rows = [[p.symbol, quantity(p.qty), money(p.avg_entry_price)] for p in book.positions]
    return head + ":\n" + text_table(["symbol", "shares", "average entry"], rows)


def write_reconciliation(outcome: ToolOutcome) -> str:
    result = typed(Reconciliation, outcome.payload)
    if result is None:
        return ""
    if result.matched:
        return "Positions match: what you expected is what the broker holds."
    rows = [[str(d.get("symbol")), quantity(d.get("expected")), quantity(d.get("actual")),
             quantity(d.get("difference"))] for d in result.discrepancies]
    return (f"{counted(len(rows), 'difference')} between what you expected and what the broker holds:\n"
            + text_table(["symbol", "expected", "held", "difference"], rows))
