"""The daily summary (seed 004 ``generate_daily_summary``): P&L, positions, risk, pending approvals and
alerts, read from the execution path every interface uses."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from guardrails.policy import Actor, Operation, require
from guardrails.risk_policy import RiskLimits
from quant.monitoring.events import EventKind

if TYPE_CHECKING:
    from services.execution import ExecutionService


def generate_daily_summary(service: ExecutionService, actor: Actor, *, alerts_since: datetime | None = None) -> Any:
    """The day's ``quant.monitoring.summary.DailySummary``: P&L (realized from the paper ledger when the broker
    has one, unrealized = marked positions minus cost), positions, risk, pending approvals and alerts."""
    from quant.monitoring.summary import build_daily_summary

    require(actor, Operation.READ_TRADING)
    now = service.now()
    account = service.broker.get_account()
    positions, unrealized = [], Decimal(0)
    for p in service.broker.get_positions():
        value = p.qty * _mark(service, p.symbol, p.avg_entry_price)
        pnl = value - p.qty * p.avg_entry_price
        unrealized += pnl
        positions.append({"symbol": p.symbol, "quantity": p.qty, "market_value": value, "unrealized_pnl": pnl})
    ledger = service.broker.ledger() if hasattr(service.broker, "ledger") else {}
    book = service.book()
    state = service.trading_state(book)
    limits: RiskLimits = service.limits.current()
    drawdown = (book.peak_equity_usd - book.equity_usd) / book.peak_equity_usd * 100 if book.peak_equity_usd else 0
    gross = sum((abs(Decimal(str(p["market_value"]))) for p in positions), Decimal(0))
    risk = {"account": service.account, "trading_state": state.status.value.upper(),
            "equity_usd": str(account.equity_usd),
            "cash_usd": str(account.cash_usd), "drawdown_pct": round(float(drawdown), 4),
            "gross_exposure_pct": round(float(gross / account.equity_usd * 100), 4) if account.equity_usd else None,
            "max_drawdown_pct": limits.max_drawdown_pct, "fees_paid_usd": str(ledger.get("fees_paid_usd", "0"))}
    pending = [{"id": a.id, "kind": a.kind, "summary": a.summary} for a in service.approvals.list("pending")]
    # alerts are stamped when they happened, not at the account's (possibly simulated) market time
    since = alerts_since or service.record_now().replace(hour=0, minute=0, second=0, microsecond=0)
    kinds = (EventKind.SYSTEM_ALERT, EventKind.PORTFOLIO_RISK_ALERT, EventKind.KILL_SWITCH_ACTIVATED,
             EventKind.RISK_THRESHOLD_BREACHED, EventKind.TRADING_STATE_CHANGED)
    alerts = [{"severity": getattr(e.payload, "severity", "warning"), "title": _alert_title(e)}
              for e in service.events.store.recent(kinds, since=since, limit=200)]
    return build_daily_summary({"realized": ledger.get("realized_pnl_usd", 0), "unrealized": unrealized},
                               positions, risk, pending, alerts, as_of=now.date())


def _mark(service: ExecutionService, symbol: str, fallback: Decimal) -> Decimal:
    """The last close at or before the clock's now, however old (what the paper broker marks its equity at, so
    P&L and equity agree), else ``fallback`` (the entry price: no unrealized P&L claimed without a price)."""
    latest = service.bars.latest_bars([symbol], as_of=service.now()).get(symbol.upper())
    return Decimal(repr(latest.close)) if latest is not None else fallback


def _alert_title(event: Any) -> str:
    """One line a person reads: what happened (the event's kind in words) and its own words (a reason, a
    title, a rule), never an empty ``Kind: ``."""
    payload = event.payload
    what = re.sub(r"(?<!^)(?=[A-Z])", " ", event.kind.value).lower()
    if hasattr(payload, "to_state"):
        detail = f"{payload.from_state} → {payload.to_state}" + (f" ({payload.reason})" if payload.reason else "")
    else:
        detail = next((str(v) for v in (getattr(payload, "title", None), getattr(payload, "reason", None),
                                        getattr(payload, "rule", None), event.subject) if v), "")
    return f"{what}: {detail}" if detail else what
