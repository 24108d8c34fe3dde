"""``quantpilot approvals``: list, show, approve and reject human approvals (one ApprovalService behind all)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typer

app = typer.Typer(help="Human approvals: list, show, approve, reject.", no_args_is_help=True)


def approval_service(*, with_graph: bool, agents: Mapping[str, Any] | None = None, user: str = "system"):
    """The service on the configured database; with the graph (to resume threads) for decisions. Reads get the
    service alone: listing and showing requests needs no graph, agents or model stack."""
    from config import get_settings
    from memory.db import connect

    settings = get_settings()
    database = connect(settings)
    if not with_graph:
        from memory.approvals import ApprovalStore
        from services.approvals import ApprovalService

        return ApprovalService(ApprovalStore(database), live_trading_enabled=settings.live_trading,
                               allow_self_approval=settings.allow_self_approval)
    from graph.approval_resume import approval_service as graph_approval_service
    from graph.wiring import product_context, product_graph

    context = product_context(settings, database, channel="cli")
    return graph_approval_service(context, product_graph(settings, database, agents, user=user))


def _row(record) -> list[Any]:
    subject = record.subject
    what = (subject.get("strategy_id") or subject.get("order_intent_hash") or subject.get("limit_change_id")
            or f"breaker of account {subject.get('account_id')}")
    if subject.get("to_stage"):
        what = f"{what} {subject.get('from_stage')}→{subject['to_stage']} v{subject.get('version')}"
    decided = record.decision.approver if record.decision else ""
    return [record.id, record.kind, record.status, what, record.requester, decided,
            record.expires_at.strftime("%Y-%m-%d %H:%M")]


@app.command("list")
def list_(
    status: str | None = typer.Option(None, "--status", help="pending|approved|rejected|applied|expired|invalid"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Approval requests, newest first."""
    from api.cli_auth import cli_actor
    from api.output import print_json, print_table
    from services.approvals import approval_json

    records = approval_service(with_graph=False).list(cli_actor(required=False), status)
    if as_json:
        print_json([approval_json(r) for r in records])
        return
    print_table("approvals", ["id", "kind", "status", "subject", "requester", "decided by", "expires (UTC)"],
                [_row(r) for r in records])


@app.command("show")
def show(approval_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """One request with its evidence and decision."""
    from api.cli_auth import cli_actor
    from api.output import print_json
    from services.approvals import approval_json

    record = approval_service(with_graph=False).show(cli_actor(required=False), approval_id)
    if as_json:
        print_json(approval_json(record))
        return
    _print_card(record)


def _print_card(record) -> None:
    """A request as people read it: the pending card (what, who, evidence, how to decide), or its decision."""
    from agents.answers import approval_card, decision_text
    from api.output import console
    from quant.display import timestamp

    card = approval_card(record)
    if record.status == "pending":
        console.print(card.text(), highlight=False, markup=False)
        return
    lines = [f"{card.title} (approval {record.id}): {record.status}", f"Asked by {card.requester}"
             + (f": {card.reason}" if card.reason else "") + "."]
    if record.decision is not None:
        d = record.decision
        lines.append(f"{d.verdict.capitalize()} by {d.approver} via {d.channel} at {timestamp(d.decided_at)}"
                     + (f": {d.comment}" if d.comment else "") + ".")
    if record.outcome:
        lines.append(decision_text(record.outcome))
    console.print("\n".join(lines), highlight=False, markup=False)


def decide(approval_id: str, verdict: str, comment: str | None, as_json: bool,
           agents: Mapping[str, Any] | None = None) -> None:
    """Approve or reject as the signed-in user, then print the request's new status and the resumed turn's answer."""
    from rich.markup import escape

    from api.cli_auth import cli_actor
    from api.output import console, print_json
    from errors import ConfigError

    actor = cli_actor()
    service = approval_service(with_graph=False)
    if _may_resume(service, approval_id):  # the graph (LangGraph, the agents, their tools) only to resume a thread
        try:
            service = approval_service(with_graph=True, agents=agents, user=actor.name)
        except ConfigError as exc:  # no agents yet: the decision is still recorded; re-run to resume the thread
            console.print(f"[yellow]warning:[/] {escape(str(exc))}; the decision is recorded, the thread resumes on "
                          "a repeat call")
    if verdict == "approved":
        outcome = service.approve(actor, approval_id, comment)
    else:
        outcome = service.reject(actor, approval_id, comment or "")
    if as_json:
        print_json(outcome.to_dict())
    else:
        record = outcome.approval
        console.print(f"approval {record.id} ({record.kind}): [bold]{record.status}[/]"
                      + (" (already decided; nothing new recorded)" if outcome.repeated else ""), highlight=False)
        if outcome.turn is not None and outcome.turn.answer:
            console.print(outcome.turn.answer, highlight=False, markup=False)
        elif record.outcome:
            from agents.answers import decision_text

            console.print(decision_text(record.outcome), highlight=False, markup=False)
    if verdict == "approved" and outcome.approval.status in ("expired", "invalid"):
        raise typer.Exit(2)


def _may_resume(service, approval_id: str) -> bool:
    """Whether the stored request may have a thread to resume (an unknown id: no; the service then says why,
    after the permission check, as it does for every caller)."""
    from errors import NotFoundError
    from services.approvals import may_resume

    try:
        return may_resume(service.store.get(approval_id))
    except NotFoundError:
        return False


_AS_GONE = typer.Option(None, "--as", hidden=True)


def _no_free_text_identity(name: str | None) -> None:
    if name is not None:
        from errors import ConfigError

        raise ConfigError("--as is gone: a decision is made by the signed-in user (`quantpilot login`, or "
                          "QUANTPILOT_API_KEY), never by a name typed here", code="as_removed")


@app.command("approve")
def approve(
    approval_id: str = typer.Argument(...),
    comment: str | None = typer.Option(None, "--comment"),
    as_json: bool = typer.Option(False, "--json"),
    as_name: str | None = _AS_GONE,
) -> None:
    """Approve a request as the signed-in approver (never your own request); the waiting thread resumes and
    the approved change is applied."""
    _no_free_text_identity(as_name)
    decide(approval_id, "approved", comment, as_json)


@app.command("reject")
def reject(
    approval_id: str = typer.Argument(...),
    comment: str = typer.Option(..., "--comment", help="Why (sent back to the agent)."),
    as_json: bool = typer.Option(False, "--json"),
    as_name: str | None = _AS_GONE,
) -> None:
    """Reject a request with a reason, as the signed-in approver; the agent is told why."""
    _no_free_text_identity(as_name)
    decide(approval_id, "rejected", comment, as_json)
