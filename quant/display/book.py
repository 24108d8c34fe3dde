"""A paper account's book and the kill switch's report as text for people (terminal, chat, Slack): positions
with mark, market value and unrealized P&L in a table that fits 80 columns, and each close order of a flatten
with its final state. Inputs are the JSON-ready dicts the services produce (``Holdings.to_dict()``,
``KillSwitchReport.to_dict()``), so every interface says the same words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quant.display.numbers import DASH, day, money, quantity, signed_money
from quant.display.text import counted, text_table


def positions_table(positions: list[Mapping[str, Any]]) -> str:
    """symbol, shares, average entry, mark, market value, unrealized P&L and the mark's date, one row each."""
    rows = [[p["symbol"], quantity(p["qty"]), money(p.get("avg_entry_price")), money(p.get("mark_usd")),
             money(p.get("value_usd")), signed_money(p.get("unrealized_pnl_usd")), day(p.get("price_ts"))]
            for p in positions]
    return text_table(["symbol", "shares", "avg entry", "mark", "value", "unrealized", "price of"], rows)


def holdings_text(data: Mapping[str, Any]) -> str:
    """The account, its clock, cash and equity, P&L, then the positions table (or that there are none)."""
    positions = list(data.get("positions") or [])
    realized = data.get("realized_pnl_usd")
    lines = [f"account {data.get('account_id')} · {data.get('clock')}",
             f"equity {money(data.get('equity_usd'))} · cash {money(data.get('cash_usd'))} · "
             f"unrealized P&L {signed_money(data.get('unrealized_pnl_usd'))}"
             + (f" · realized P&L {signed_money(realized)}" if realized is not None else "")]
    if not positions:
        return "\n".join([*lines, "no open positions"])
    unmarked = [p["symbol"] for p in positions if p.get("mark_usd") is None]
    lines += [positions_table(positions)]
    if unmarked:
        lines.append(f"no stored price for {', '.join(unmarked)}: marked at the average entry price")
    return "\n".join(lines)


_NOT_CLOSED = ("refused", "rejected", "canceled", "expired")


def close_line(close: Mapping[str, Any]) -> str:
    """``sell 10 AAPL: filled 10 at $150.00`` / ``sell 10 AAPL: REFUSED — why``."""
    what = f"{close.get('side')} {quantity(close.get('qty'))} {close.get('symbol')}"
    status = str(close.get("status"))
    if status in _NOT_CLOSED:
        by = "" if status == "refused" else f" ({status} by the broker)"
        return f"{what}: REFUSED{by} — {close.get('reason') or 'no reason given'}"
    if status == "filled":
        return f"{what}: filled {quantity(close.get('filled_qty'))} at {money(close.get('avg_fill_price'))}"
    return f"{what}: {status.replace('_', ' ')} (not filled yet)"


def kill_switch_text(report: Mapping[str, Any]) -> str:
    """What engaging the kill switch did: the halt, canceled orders, and each close with its final state; a
    refused close is said first and plainly."""
    closes = list(report.get("closes") or [])
    refused = [c for c in closes if str(c.get("status")) in _NOT_CLOSED]
    lines = [f"trading HALTED in every account (halt {report.get('halt_id') or DASH}); "
             f"{counted(len(report.get('canceled') or []), 'open order')} canceled"]
    if closes:
        lines.append(f"flatten of account {report.get('account_id')}: {len(closes) - len(refused)} of "
                     f"{counted(len(closes), 'close order')} done")
        lines += [f"  {close_line(c)}" for c in closes]
    if refused:
        lines.append(f"WARNING: {counted(len(refused), 'position')} still open: "
                     f"{', '.join(str(c.get('symbol')) for c in refused)}. A critical alert was raised.")
    return "\n".join(lines)
