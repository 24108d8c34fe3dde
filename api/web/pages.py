"""What each dashboard page shows, read from the service layer (memory/, graph/) in one call per page.

Every function takes the database (and what else it needs) and returns a plain dict for a template;
nothing here renders HTML or knows about requests. The paper account is the book shown: the web
pages never reach a live broker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from guardrails.policy import Actor
from memory.db import Database

ROLE_ACTIONS = {"viewer": "read every page", "trader": "chat, propose limit changes, ask to resume",
                "approver": "approve or reject, kill switch", "admin": "everything"}


def _execution(database: Database, account: str | None = None):
    from services.execution_path import execution_service

    return execution_service(database, account=account)


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
    """Evidence for display: each metric with its people's name and unit (``quant.display``)."""
    from quant.display import format_metric, metric_label, plain

    return {metric_label(k): format_metric(k, v) if isinstance(v, int | float) and not isinstance(v, bool)
            else plain(v) for k, v in evidence.items()}


def positions(database: Database, actor: Actor, account: str | None = None) -> dict[str, Any]:
    """A paper account's positions (quantity, average entry, mark, market value and unrealized P&L in dollars, at
    its market clock), its ledger and orders (the default account unless ``account``), and every paper account at
    a glance (``services.paper_accounts.accounts_overview``, as ``paper accounts`` and the API list them)."""
    from services.paper_accounts import accounts_overview

    service = _execution(database, account)
    holdings = service.holdings(actor)
    return {"holdings": holdings, "positions": holdings.positions, "orders": service.orders_list(actor, limit=50),
            "ledger": service.broker.ledger(), "accounts": accounts_overview(service, actor)}


def runs(database: Database, actor: Actor) -> dict[str, Any]:
    from services.research.runs import list_runs

    return {"runs": list_runs(database, actor, limit=100)}


def run_detail(database: Database, actor: Actor, run_id: int) -> dict[str, Any]:
    """One run with its metrics, costs and pictures (``api.web.run_page``)."""
    from api.web.run_page import run_page

    return run_page(database, actor, run_id)


def approvals(database: Database, actor: Actor) -> dict[str, Any]:
    from memory.approvals import ApprovalStore
    from services.approvals import ApprovalService

    service = ApprovalService(ApprovalStore(database))
    items = service.list(actor)
    return {"pending": [a for a in items if a.status == "pending"],
            "decided": [a for a in items if a.status != "pending"][:50]}


def controls(database: Database, actor: Actor, account: str | None = None) -> dict[str, Any]:
    """The state a paper account (the default one unless ``account``) trades under (the kill switch, or its own
    breakers: why, and the command that lifts it), its clock, the last transitions, the limits in force and the
    pending proposals."""
    from agents.answers.approvals import limit_changes_text
    from guardrails.risk_policy import RiskLimits
    from services.limits import LimitService

    service = _execution(database, account)
    state = service.trading_state(service.book())
    store = service.states if state.account_id is None else service.breakers
    limits = service.limits.current().model_dump(mode="json")
    editable = {name: field.description or "" for name, field in RiskLimits.model_fields.items()
                if name != "allowed_symbols"}
    clock = service.market_clock()
    return {"state": state, "account": service.account, "clock": clock.describe(), "clock_simulated": clock.simulated,
            "breaker_halt": state.account_id is not None and state.status.value != "active",
            "transitions": store.transitions(10), "limits": limits, "editable": editable,
            "pending": [{**p, "text": limit_changes_text(p["changes"])} for p in LimitService(database).view(actor)[1]]}


def health(database: Database) -> dict[str, Any]:
    """``services.health.system_health`` with the paper broker: the verdict the chat's answers give too."""
    from services.health import system_health

    report = system_health(database, today=datetime.now(UTC).date(), broker=_execution(database).broker)
    return {"report": report.to_dict()}
