"""``quantpilot chat``: talk to the agents in the terminal, with approval requests answered inline.

``chat`` is interactive (steps and tool calls stream as they happen); ``chat --once "…"`` runs one
turn and prints the answer (``--json``: answer, thread_id, tool_calls, pending_approval, route, usage —
the turn's model calls, tokens, dollars and model latency from the usage ledger). The terminal prints
whole answers, so the model is asked for whole replies (every server reports their token usage).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import typer


def chat(
    once: str | None = typer.Option(None, "--once", help="Run one request and exit."),
    thread: str | None = typer.Option(None, "--thread", help="Continue this thread (default: a new one)."),
    as_json: bool = typer.Option(False, "--json", help="With --once: print JSON."),
    as_name: str | None = typer.Option(None, "--as", hidden=True),
) -> None:
    """Chat with quantpilot's agents as the signed-in user (without a key: the local reader, who may only
    read). Paper trading by default; approvals are asked inline, decided by another approver's key."""
    from api.cli_auth import cli_actor
    from errors import ConfigError

    if as_name is not None:
        raise ConfigError("--as is gone: the chat acts as the signed-in user (`quantpilot login`, or "
                          "QUANTPILOT_API_KEY)", code="as_removed")
    run_chat(once, thread, cli_actor(required=False), as_json)


def _render(events: Iterable[Any], console, *, quiet: bool):
    """Print steps, tool calls and results as they stream; returns the final TurnResult and any approval."""

    from rich.markup import escape

    from agents.answers import ToolOutcome, describe_call, write_one
    from agents.answers.outcome import parse_content
    from graph.runner import FinalEvent, InterruptEvent, StepEvent, ToolCallEvent, ToolResultEvent

    result, approval = None, None
    for event in events:
        if isinstance(event, FinalEvent):
            result = event.result
        elif isinstance(event, InterruptEvent):
            approval = event.approval
        elif quiet:
            continue
        elif isinstance(event, StepEvent):
            console.print(f"[dim]· {event.node}[/]", highlight=False)
        elif isinstance(event, ToolCallEvent):
            console.print(f"[cyan]  → {event.agent}: {escape(describe_call(event.name, event.args))}[/]",
                          highlight=False)
        elif isinstance(event, ToolResultEvent):
            text = write_one(ToolOutcome(event.name, parse_content(event.content), {})).split("\n", 1)[0]
            shown = escape(text[:200]) + ("…" if len(text) > 200 else "")
            console.print(f"[{'green' if event.ok else 'red'}]  ← {shown}[/]", highlight=False)
    return result, approval


def _show_approval(console, approval: Mapping[str, Any]) -> str:
    """Print the approval card (what is asked, by whom, the evidence, how to decide); returns its text."""
    from rich.markup import escape

    from agents.answers import approval_card

    text = approval_card(approval).text()
    head, _, rest = text.partition("\n")
    console.print(f"[bold yellow]{escape(head)}[/]", highlight=False)
    console.print(rest, highlight=False, markup=False, soft_wrap=True)  # a command is never split across lines
    return text


def _answer_inline(service, approval, ask: Callable[[str], str], ask_secret: Callable[[str], str], console) -> Any:
    """Ask approve/reject/later; another approver decides with their own key (whoever asked never decides).
    Returns the resumed turn (None for later or a refused decision)."""
    from rich.markup import escape

    from api.cli_auth import user_service
    from errors import ApprovalError, AuthenticationError, PermissionDenied
    from guardrails.policy import Channel

    choice = ask("approve, reject or later? [a/r/l] ").strip().lower()[:1]
    if choice not in ("a", "r"):
        console.print(f"Left pending: another approver answers with `quantpilot approvals approve {approval['id']}`. "
                      "Questions that change nothing are still answered meanwhile.", highlight=False)
        return None
    try:
        approver = user_service().authenticate(ask_secret("approver's API key (not shown): "), Channel.CLI)
        if choice == "a":
            outcome = service.approve(approver, approval["id"])
        else:
            outcome = service.reject(approver, approval["id"], ask("reason: ").strip() or "rejected in chat")
    except (ApprovalError, AuthenticationError, PermissionDenied) as exc:
        console.print(f"[red]refused:[/] {escape(str(exc))}", highlight=False)
        return None
    console.print(f"Approval {approval['id']}: [bold]{outcome.approval.status}[/]", highlight=False)
    return outcome.turn


def run_chat(once: str | None, thread_id: str | None, actor: Any, as_json: bool, *,
             agents: Mapping[str, Any] | None = None, ask: Callable[[str], str] = input,
             ask_secret: Callable[[str], str] = getpass.getpass) -> None:
    """The chat command's body, as ``actor``; ``agents``, ``ask`` and ``ask_secret`` are injectable (scripted
    models, scripted input)."""
    from rich.markup import escape

    from api.output import console, print_json
    from config import get_settings
    from errors import ApprovalError, QuotaExceeded
    from graph.approval_resume import approval_service
    from graph.runner import ChatSession
    from graph.wiring import product_context, product_graph
    from memory.db import connect
    from memory.threads import ThreadStore
    from services.quotas import UsageQuotas

    settings = get_settings()
    database = connect(settings)
    context = product_context(settings, database, channel="cli")
    graph = product_graph(settings, database, agents, user=actor.name)
    person = {"id": actor.name, "role": actor.role.value, "user_id": actor.user_id}
    session = ChatSession(graph, person, thread_id=thread_id, context=context, threads=ThreadStore(database))
    quotas = UsageQuotas(database, settings)  # a turn here counts with the user's turns on every interface
    if once is not None:
        with quotas.start_turn(actor):  # over the limit: QuotaExceeded, exit 2 with the limit and when to retry
            result, approval = _render(session.stream(once, tokens=False), console, quiet=as_json)
        if as_json:
            print_json({"thread_id": session.thread_id, **result.to_dict()})
            return
        card = _show_approval(console, approval) if approval else None
        if result.answer != card:  # a turn that only waits answers with the card itself
            # model text: never Rich markup; the terminal wraps it, so a command in it stays one line to copy
            console.print(result.answer, highlight=False, markup=False, soft_wrap=True)
        return
    service = approval_service(context, graph)
    console.print(f"quantpilot chat — thread {session.thread_id} (type 'exit' to leave)", highlight=False)
    while True:
        try:
            text = ask("you> ").strip()
        except EOFError:
            break
        if text in ("exit", "quit"):
            break
        if not text:
            continue
        try:
            with quotas.start_turn(actor):
                result, approval = _render(session.stream(text, tokens=False), console, quiet=False)
        except (ApprovalError, QuotaExceeded) as exc:
            console.print(f"[red]{escape(str(exc))}[/]", highlight=False)
            continue
        card = None
        while approval is not None:
            card = _show_approval(console, approval)
            turn = _answer_inline(service, approval, ask, ask_secret, console)
            if turn is None:
                break
            card, result, approval = None, turn, (session.pending_approval() if turn.pending_approval else None)
        if result is not None and result.answer and result.answer != card:
            console.print("[bold]quantpilot[/]:", highlight=False)
            console.print(result.answer, highlight=False, markup=False, soft_wrap=True)
