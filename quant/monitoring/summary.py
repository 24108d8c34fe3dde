"""The daily summary a person reads each evening (terminal, Slack, e-mail): P&L, positions, risk,
pending approvals and the day's alerts — built from plain values, no I/O.

Money is ``Decimal`` in account currency (``to_dict`` gives exact strings); exposure is a
fraction of equity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from errors import ConfigError
from quant import display
from quant.monitoring.alerts import Alert, Severity

CENT = Decimal("0.01")


def _money(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value if value is not None else 0))
    except ArithmeticError as exc:
        raise ConfigError(f"{name} is not a number: {value!r}", details={"field": name}) from exc
    if not amount.is_finite():
        raise ConfigError(f"{name} is not finite: {value!r}", details={"field": name})
    return amount


_SHOWN_RISK = ("account", "trading_state", "equity_usd", "cash_usd", "fees_paid_usd", "drawdown_pct",
               "max_drawdown_pct", "gross_exposure_pct")


def _risk_lines(risk: Mapping[str, Any]) -> list[str]:
    """The account and its risk in sentences (``Account demo: equity $89,537.85, cash …``; ``Risk: drawdown
    10.46% of the high-water mark (halts at 10.00%), gross exposure 45.94% of equity``); any other fact after
    ``Also:`` with its name and unit from ``quant.display``."""
    book = [f"{label} {display.money(risk[key])}" for key, label in
            (("equity_usd", "equity"), ("cash_usd", "cash"), ("fees_paid_usd", "fees paid")) if key in risk]
    lines = [f"Account {risk['account']}: " + ", ".join(book) if "account" in risk else
             ("Account: " + ", ".join(book) if book else "")]
    parts = []
    if risk.get("drawdown_pct") is not None:
        limit = risk.get("max_drawdown_pct")
        parts.append(f"drawdown {display.percent_points(risk['drawdown_pct'])} of the high-water mark"
                     + (f" (halts at {display.percent_points(limit)})" if limit is not None else ""))
    if risk.get("gross_exposure_pct") is not None:
        parts.append(f"gross exposure {display.percent_points(risk['gross_exposure_pct'])} of equity")
    if parts:
        lines.append("Risk: " + ", ".join(parts))
    others = [f"{display.metric_label(k)} {_fact(k, v)}" for k, v in sorted(risk.items()) if k not in _SHOWN_RISK]
    if others:
        lines.append("Also: " + "; ".join(others))
    return [line for line in lines if line]


def _fact(key: str, value: Any) -> str:
    if key.endswith("_usd"):
        return display.money(value)
    if key.endswith("_pct"):
        return display.percent_points(value)
    numeric = not isinstance(value, bool) and display.number(value) != display.DASH
    return display.quantity(value) if numeric else display.plain(value)


@dataclass(frozen=True)
class PositionLine:
    symbol: str
    quantity: Decimal
    market_value: Decimal
    unrealized_pnl: Decimal


@dataclass(frozen=True)
class ApprovalLine:
    id: str
    kind: str
    summary: str


@dataclass(frozen=True)
class DailySummary:
    as_of: date | None
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    positions: tuple[PositionLine, ...]
    trading_state: str
    risk: Mapping[str, Any]
    pending_approvals: tuple[ApprovalLine, ...]
    alerts_by_severity: Mapping[str, int]
    alert_titles: tuple[str, ...]

    @property
    def total_pnl(self) -> Decimal:
        return self.realized_pnl + self.unrealized_pnl

    @property
    def gross_market_value(self) -> Decimal:
        return sum((abs(p.market_value) for p in self.positions), Decimal(0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "pnl": {"realized": str(self.realized_pnl), "unrealized": str(self.unrealized_pnl),
                    "total": str(self.total_pnl)},
            "positions": [{"symbol": p.symbol, "quantity": str(p.quantity), "market_value": str(p.market_value),
                           "unrealized_pnl": str(p.unrealized_pnl)} for p in self.positions],
            "gross_market_value": str(self.gross_market_value),
            "trading_state": self.trading_state,
            "risk": dict(self.risk),
            "pending_approvals": [{"id": a.id, "kind": a.kind, "summary": a.summary} for a in self.pending_approvals],
            "alerts": {"by_severity": dict(self.alerts_by_severity), "titles": list(self.alert_titles)},
        }

    def render_text(self) -> str:
        """Plain text, one fact per line, amounts to the cent (every number through ``quant.display``)."""
        lines = [f"Daily summary{f' for {self.as_of.isoformat()}' if self.as_of else ''}",
                 f"P&L: total {display.signed_money(self.total_pnl)} "
                 f"(realized {display.signed_money(self.realized_pnl)}, "
                 f"unrealized {display.signed_money(self.unrealized_pnl)})",
                 f"Trading state: {self.trading_state}",
                 f"Positions: {len(self.positions)} (gross {display.money(self.gross_market_value)})"]
        lines += [f"  {p.symbol}: {display.quantity(p.quantity)} worth {display.money(p.market_value)}, "
                  f"unrealized {display.signed_money(p.unrealized_pnl)}" for p in self.positions]
        lines += _risk_lines(self.risk)
        lines.append(f"Pending approvals: {len(self.pending_approvals)}")
        lines += [f"  {a.id} ({a.kind}): {a.summary}" for a in self.pending_approvals]
        counts = ", ".join(f"{n} {s}" for s, n in self.alerts_by_severity.items() if n) or "none"
        lines.append(f"Alerts: {counts}")
        lines += [f"  {t}" for t in self.alert_titles]
        return "\n".join(lines)


def build_daily_summary(
    pnl: Mapping[str, Any],
    positions: Sequence[Mapping[str, Any]],
    risk: Mapping[str, Any],
    pending_approvals: Sequence[Mapping[str, Any]],
    alerts: Sequence[Alert | Mapping[str, Any]],
    *,
    as_of: date | None = None,
) -> DailySummary:
    """Summarise the day.

    - ``pnl``: ``realized`` and ``unrealized`` (missing = 0), account currency;
    - ``positions``: ``symbol``, ``quantity``, ``market_value``, optional ``unrealized_pnl``;
      listed by absolute market value, largest first;
    - ``risk``: any facts (``trading_state`` — default ``ACTIVE`` — ``drawdown_pct``, ``gross_exposure``…);
    - ``pending_approvals``: ``id``, ``kind``, optional ``summary``;
    - ``alerts``: ``Alert`` values or mappings with ``severity`` and ``title``.
    """
    lines = []
    for i, p in enumerate(positions):
        if "symbol" not in p:
            raise ConfigError(f"position #{i} has no symbol", details={"index": i})
        lines.append(PositionLine(str(p["symbol"]), _money(p.get("quantity"), f"{p['symbol']}.quantity"),
                                  _money(p.get("market_value"), f"{p['symbol']}.market_value"),
                                  _money(p.get("unrealized_pnl"), f"{p['symbol']}.unrealized_pnl")))
    lines.sort(key=lambda line: (-abs(line.market_value), line.symbol))
    approvals = tuple(ApprovalLine(str(a["id"]), str(a.get("kind", "")), str(a.get("summary", "")))
                      for a in pending_approvals)
    severities: Counter[str] = Counter({s.value: 0 for s in Severity})
    titles = []
    for alert in alerts:
        severity = alert.severity if isinstance(alert, Alert) else alert.get("severity", Severity.WARNING)
        title = alert.title if isinstance(alert, Alert) else str(alert.get("title", ""))
        severities[Severity(severity).value] += 1
        titles.append(f"[{Severity(severity).value}] {title}")
    return DailySummary(
        as_of=as_of,
        realized_pnl=_money(pnl.get("realized"), "pnl.realized"),
        unrealized_pnl=_money(pnl.get("unrealized"), "pnl.unrealized"),
        positions=tuple(lines),
        trading_state=str(risk.get("trading_state", "ACTIVE")),
        risk=dict(risk),
        pending_approvals=approvals,
        alerts_by_severity=dict(severities),
        alert_titles=tuple(titles),
    )
