"""The approval card every channel shows (terminal, web, Slack, the OpenAI-compatible text): what is asked, by
whom, the evidence formatted for people, and how to decide. ``approval_card`` reads an approval request as the
graph's interrupt carries it (JSON) or as it is stored (an ``ApprovalRecord``): both have the same fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agents.answers.phrasing import field_label, figures, limit_text, plain_value
from quant.display import format_metric, joined, money, percent_points, quantity, timestamp

STRATEGY_TITLES = {"strategy": "Strategy review", "paper": "Paper trading", "live": "Live trading"}
_RUN_METRICS = ("total_return", "cagr", "sharpe", "win_rate")


@dataclass(frozen=True)
class ApprovalCard:
    """An approval request as people read it; ``evidence`` holds (label, text) pairs."""

    id: str
    kind: str
    title: str
    requester: str
    reason: str
    evidence: tuple[tuple[str, str], ...]
    expires: str
    decide: tuple[str, ...]

    def text(self) -> str:
        """The card as plain text (terminal, the OpenAI-compatible answer)."""
        lines = [f"Approval needed: {self.title}", f"Asked by {self.requester}" + (
            f": {self.reason}" if self.reason else "") + f" (approval {self.id}, expires {self.expires}).",
                 ]
        if self.evidence:
            lines.append("Evidence:")
            lines += [f"- {label}: {text}" for label, text in self.evidence]
        lines.append("To decide:")
        lines += [f"- {line}" for line in self.decide]
        return "\n".join(lines)


def _field(approval: Any, key: str) -> Any:
    return approval.get(key) if isinstance(approval, Mapping) else getattr(approval, key, None)


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return timestamp(value) if isinstance(value, datetime) else "—"


def approve_command(approval_id: str) -> str:
    """The terminal command that approves ``approval_id``; it acts as whoever is signed in."""
    return f"quantpilot approvals approve {approval_id}"


def decide_lines(approval_id: str, requester: str) -> tuple[str, ...]:
    """How an approver answers (``approval_id``): the exact commands, the web page, Slack and the API."""
    return (f"an approver other than {requester} answers it;",
            f"terminal, signed in as that approver (`quantpilot login`): {approve_command(approval_id)} "
            f"(or: quantpilot approvals reject {approval_id} --comment WHY);",
            "web: the Approve / Reject buttons on /web/approvals; Slack: the buttons on the approval card;",
            f"API: POST /api/v1/approvals/{approval_id}/approve (or /reject with a comment).")


def _title(kind: str, subject: Mapping[str, Any]) -> str:
    if kind in STRATEGY_TITLES:
        moves = f" from {subject['from_stage']}" if subject.get("from_stage") else ""
        return f"{STRATEGY_TITLES[kind]}: move {subject.get('strategy_id')}{moves} to {subject.get('to_stage')}"
    if kind.endswith("_order"):
        price = f" limit {subject['limit_price']}" if subject.get("limit_price") else ""
        what = f"{subject.get('side')} {quantity(subject.get('qty'))} {subject.get('symbol')}"
        where = f" in account {subject['account_id']}" if subject.get("account_id") else ""
        return (f"{kind.split('_')[0].capitalize()} order: {what} ({subject.get('order_type') or 'market'}{price})"
                f"{where}")
    if kind == "breaker_reset":
        return (f"Reset the breaker baseline of account {subject.get('account_id')} (now {subject.get('status')}): "
                "its equity becomes the new high-water mark and it trades again")
    if subject.get("action") == "resume_trading":
        return f"Resume trading (now {subject.get('status')}" + (
            f", halt {subject['halt_id']})" if subject.get("halt_id") else ")")
    return "Risk limit change: " + (limit_changes_text(subject.get("changes") or {})
                                    or str(subject.get("limit_change_id")))


def limit_changes_text(changes: Mapping[str, Any]) -> str:
    """``{limit: {"from", "to"}}`` in words: ``max open positions 10 to 12 and …`` (empty when there are none)."""
    return joined(f"{field_label(k)} {limit_text(k, c.get('from'))} to {limit_text(k, c.get('to'))}"
                  for k, c in changes.items() if isinstance(c, Mapping))


def _run_line(run: Mapping[str, Any]) -> str:
    kind = "walk-forward" if run.get("kind") == "walkforward" else str(run.get("kind") or "research")
    return f"{kind} run {run.get('run_id')} of {run.get('strategy')} on {joined(run.get('symbols') or [])}"


def _evidence(kind: str, evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    if isinstance(evidence.get("run"), Mapping):
        lines.append(("run", _run_line(evidence["run"])))
    if evidence.get("oos_sharpe") is not None:
        lines.append(("out-of-sample Sharpe", format_metric("oos_sharpe", evidence["oos_sharpe"])))
    if evidence.get("trades") is not None:
        lines.append(("trades", format_metric("trade_count", evidence["trades"])))
    if evidence.get("max_drawdown_pct") is not None:
        lines.append(("max drawdown", format_metric("max_drawdown_pct", evidence["max_drawdown_pct"])))
    metrics = evidence.get("metrics")
    if isinstance(metrics, Mapping) and figures(metrics, _RUN_METRICS):
        lines.append(("results", figures(metrics, _RUN_METRICS)))
    if "live_trading_enabled" in evidence:
        lines.append(("live trading enabled", plain_value(evidence["live_trading_enabled"])))
    if kind.endswith("_order") and evidence.get("codes"):
        lines.append(("risk checks", "passed; the order waits only for this approval"))
    if evidence.get("halt_reason"):
        lines.append(("halted because", str(evidence["halt_reason"])))
    if evidence.get("equity_usd") is not None and evidence.get("peak_equity_usd") is not None:
        lines.append(("equity", f"{money(evidence['equity_usd'])}, high-water mark "
                                f"{money(evidence['peak_equity_usd'])} (drawdown "
                                f"{percent_points(evidence.get('drawdown_pct'))})"))
    if evidence.get("trading_status"):
        lines.append(("trading now", str(evidence["trading_status"])))
    if evidence.get("reason"):
        lines.append(("reason given", str(evidence["reason"])))
    return lines


def approval_card(approval: Any) -> ApprovalCard:
    """The card of an approval request (interrupt JSON or stored record)."""
    kind = str(_field(approval, "kind") or "approval")
    subject = _field(approval, "subject") or {}
    subject = subject if isinstance(subject, Mapping) else subject.model_dump()
    evidence = _field(approval, "evidence") or {}
    approval_id, requester = str(_field(approval, "id")), str(_field(approval, "requester") or "someone")
    return ApprovalCard(approval_id, kind, _title(kind, subject), requester, str(_field(approval, "summary") or ""),
                        tuple(_evidence(kind, evidence)), _when(_field(approval, "expires_at")),
                        decide_lines(approval_id, requester))
