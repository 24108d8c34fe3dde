"""What each dashboard page shows, read from the service layer (memory/, graph/) in one call per page.

Every function takes the database (and what else it needs) and returns a plain dict for a template;
nothing here renders HTML or knows about requests. The paper account is the book shown: the web
pages never reach a live broker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guardrails.policy import Actor
from memory.db import Database

ROLE_ACTIONS = {"viewer": "read every page", "trader": "chat, propose limit changes, ask to resume",
                "approver": "approve or reject, kill switch", "admin": "everything"}


def _execution(database: Database):
    from services.execution_path import execution_service

    return execution_service(database)


def overview(database: Database, actor: Actor) -> dict[str, Any]:
    """Equity, cash, P&L (realized/unrealized, dollars), gross exposure (% of equity), trading state, pending."""
    from services.daily_summary import generate_daily_summary

    service = _execution(database)
    summary = generate_daily_summary(service, actor).to_dict()
    limits = service.limits.current()
    return {"summary": summary, "risk": summary["risk"], "limits": limits.model_dump(mode="json"),
            "transitions": service.states.transitions(5)}


def strategies(database: Database) -> dict[str, Any]:
    """Each strategy's stage, version and parameters; its transitions; the evidence of its latest approval."""
    from memory.approvals import ApprovalStore
    from memory.strategies import StrategyRegistry

    registry, approvals = StrategyRegistry(database), ApprovalStore(database)
    ladder = {"backtested": 1, "paper": 2, "live": 3}
    latest: dict[str, Any] = {}
    # newest request per strategy; requests made at the same instant are ordered by how far up the ladder they go
    for record in sorted(approvals.list(), key=lambda a: (a.created_at, ladder.get(a.subject.get("to_stage"), 0))):
        strategy_id = record.subject.get("strategy_id")
        if strategy_id:
            latest[strategy_id] = record
    rows = []
    for strategy in registry.list():
        approval = latest.get(strategy.id)
        rows.append({"strategy": strategy, "transitions": registry.transitions(strategy.id),
                     "approval": approval, "evidence": _evidence(approval.evidence) if approval else {}})
    return {"rows": rows}


def _evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    """Evidence for display: floats to 4 decimals, nested mappings as ``key=value`` lists."""
    def plain(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 4)
        if isinstance(value, dict):
            return ", ".join(f"{k}={plain(v)}" for k, v in value.items())
        if isinstance(value, list):
            return ", ".join(str(plain(v)) for v in value)
        return value

    return {k: plain(v) for k, v in evidence.items()}


def positions(database: Database, actor: Actor) -> dict[str, Any]:
    """The default paper account's positions (quantity, average entry, mark, market value and unrealized P&L in
    dollars, at its market clock), its ledger and orders."""
    service = _execution(database)
    holdings = service.holdings(actor)
    return {"holdings": holdings, "positions": holdings.positions, "orders": service.orders_list(actor, limit=50),
            "ledger": service.broker.ledger()}


def runs(database: Database) -> dict[str, Any]:
    from memory.runs import RunStore

    return {"runs": RunStore(database).list(limit=100)}


def run_detail(database: Database, run_id: int) -> dict[str, Any]:
    """One run with its metrics and a plotly figure (JSON) of its equity curve when stored."""
    from memory.runs import RunStore

    record = RunStore(database).get(run_id)
    return {"run": record, "figure": equity_figure(record.artifacts, f"{record.strategy or record.kind} — run "
                                                                     f"{record.id}"),
            "has_report": report_path(record.artifacts) is not None}


def equity_figure(artifacts: dict[str, Any], title: str) -> str | None:
    """Plotly figure JSON of the stored equity parquet (one line per column, dollars), or None."""
    path = artifacts.get("equity")
    if not path or not Path(path).is_file():
        return None
    import pandas as pd
    import plotly.graph_objects as go

    equity = pd.read_parquet(path)
    frame = equity.to_frame() if isinstance(equity, pd.Series) else equity
    fig = go.Figure([go.Scatter(x=frame.index, y=frame[c], mode="lines", name=str(c)) for c in frame.columns])
    fig.update_layout(title=title, yaxis_title="equity, USD", margin={"l": 60, "r": 20, "t": 50, "b": 40},
                      height=380, template="plotly_white")
    return fig.to_json().replace("</", "<\\/")  # inert inside the page's <script type="application/json">


def report_path(artifacts: dict[str, Any]) -> Path | None:
    path = artifacts.get("report")
    return Path(path) if path and Path(path).is_file() else None


def approvals(database: Database, actor: Actor) -> dict[str, Any]:
    from memory.approvals import ApprovalStore
    from services.approvals import ApprovalService

    service = ApprovalService(ApprovalStore(database))
    items = service.list(actor)
    return {"pending": [a for a in items if a.status == "pending"],
            "decided": [a for a in items if a.status != "pending"][:50]}


def controls(database: Database) -> dict[str, Any]:
    """The state the default paper account trades under (the kill switch, or its own breakers: why, and the
    command that lifts it), its clock, the last transitions, the limits in force and the pending proposals."""
    from guardrails.risk_policy import RiskLimits

    service = _execution(database)
    state = service.trading_state(service.book())
    store = service.states if state.account_id is None else service.breakers
    limits = service.limits.current().model_dump(mode="json")
    editable = {name: field.description or "" for name, field in RiskLimits.model_fields.items()
                if name != "allowed_symbols"}
    return {"state": state, "account": service.account, "clock": service.market_clock().describe(),
            "breaker_halt": state.account_id is not None and state.status.value != "active",
            "transitions": store.transitions(10), "limits": limits, "editable": editable,
            "pending": service.limits.pending()}


def health(database: Database) -> dict[str, Any]:
    from services.health import run_health_checks

    report = run_health_checks(database, today=datetime.now(UTC).date())
    return {"report": report.to_dict()}
