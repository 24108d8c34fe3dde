"""Trading requests (the Execution agent): orders, their status, positions and reconciliation."""

from __future__ import annotations

import re
from typing import Any

from agents.understanding.plans import Plan, Reply, one
from agents.understanding.request import Request
from agents.understanding.vocabulary import STOPWORDS

_ORDER = re.compile(r"\b(buy|sell|short|purchase|acquire|dump)\s+(\d+(?:\.\d+)?)\s+(?:shares?\s+(?:of\s+)?|"
                    r"units?\s+(?:of\s+)?)?(\^?[A-Za-z]{1,5})\b", re.I)
_SIDES = {"buy": "buy", "purchase": "buy", "acquire": "buy", "sell": "sell", "short": "sell", "dump": "sell"}
_ORDER_ID = re.compile(r"\b(qp-[0-9a-f]{4,64})\b", re.I)


def order_in(text: str) -> dict[str, Any] | None:
    """``{symbol, side, qty}`` (and ``order_type``/``limit_price`` for a limit order) from "buy 10 AAPL",
    "sell 5 shares of msft", "buy 10 AAPL limit 150"."""
    m = _ORDER.search(text)
    if not m or m.group(3).upper() in STOPWORDS:
        return None
    order: dict[str, Any] = {"symbol": m.group(3).upper(), "side": _SIDES[m.group(1).lower()], "qty": float(m.group(2))}
    limit = re.search(r"\blimit(?: price)?(?: at| of)?\s+\$?(\d+(?:\.\d+)?)|\bat\s+\$?(\d+(?:\.\d+)?)\s+limit\b",
                      text, re.I)
    if limit:
        order.update(order_type="limit", limit_price=float(limit.group(1) or limit.group(2)))
    return order


def order_status(r: Request) -> Plan | Reply | None:
    m = _ORDER_ID.search(r.text)
    if m:
        return one("check_order_status", order_id=m.group(1).lower())
    if not r.has(r"\b(order|orders)\b.{0,40}\b(status|fill\w*|done|executed|go through|happen\w*)|\b(status|fill\w*)"
                 r"\b.{0,30}\border\b|did (it|that|my order) (fill|go through|execute)"):
        return None
    if r.last_order_id:
        return one("check_order_status", order_id=r.last_order_id)
    return Reply("clarify", 'Which order? Give its id: "status of order qp-…" (`quantpilot orders list` shows them).',
                 "check_order_status")


def reconcile(r: Request) -> Plan | None:
    if not r.has(r"reconcil\w*|\bmatch(es)? (the )?broker|\bbroker (match|agree)\w*"):
        return None
    pairs = re.findall(r"(\^?[A-Z]{1,5})\s*[:=]?\s*(-?\d+(?:\.\d+)?)", r.text)
    return one("reconcile_positions", expected={s: float(q) for s, q in pairs if s not in STOPWORDS})


def place(r: Request) -> Plan | None:
    if r.has(r"\b(should|would|could) i\b|\bwhat if\b|\bcan i\b"):
        return None  # a question about an order is not the order
    order = order_in(r.text)
    return one("place_order", order=order) if order else None


def cancel(r: Request) -> Reply | None:
    if r.has(r"\bcancel\w*\b.{0,30}\border"):
        return Reply("elsewhere", "Cancelling an order is a person's action: `quantpilot orders cancel ID` "
                     "(or POST /api/v1/orders/ID/cancel). `quantpilot orders list` shows the open ones.")
    return None


def positions(r: Request) -> Plan | None:
    if r.has(r"\bpositions?\b|\bholdings?\b|what (do|did) (i|we) (own|hold|have)|\bmy (book|portfolio|account)\b|"
             r"\bhow much cash\b|\bbuying power\b|\bwhat('s| is) in (my|the) (portfolio|account)\b|\bmy equity\b|"
             r"\baccount balance\b"):
        return one("get_positions")
    return None


RULES = (cancel, order_status, reconcile, place, positions)
