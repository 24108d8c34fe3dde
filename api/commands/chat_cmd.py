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
from rich.markup import escape


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli-user"


def chat(
    once: str | None = typer.Option(None, "--once", help="Run one request and exit."),
    thread: str | None = typer.Option(None, "--thread", help="Continue this thread (default: a new one)."),
    user: str = typer.Option(None, "--as", help="Who is talking (default: the OS user)."),
    as_json: bool = typer.Option(False, "--json", help="With --once: print JSON."),
) -> None:
    """Chat with quantpilot's agents (paper trading by default; approvals are asked inline)."""
    run_chat(once, thread, user or _default_user(), as_json)


def _render(events: Iterable[Any], console, *, quiet: bool):
    """Print steps, tool calls and results as they stream; returns the final TurnResult and any approval."""

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
            console.print(f"[cyan]  → {event.agent}: {event.name}({escape(str(event.args))})[/]", highlight=False)
        elif isinstance(event, ToolResultEvent):
            text = str(event.content)
            console.print(f"[{'green' if event.ok else 'red'}]  ← {event.name}: "
                          f"{escape(text[:300]) + ('…' if len(text) > 300 else '')}[/]", highlight=False)
    return result, approval


def _show_approval(console, approval: Mapping[str, Any]) -> None:
    subject = {k: v for k, v in approval.get("subject", {}).items() if v is not None}
    console.print(f"[bold yellow]approval needed[/] {escape(str(approval['id']))} ({escape(str(approval['kind']))}): "
                  f"{escape(str(approval.get('summary')))}\n  subject: {escape(str(subject))}\n"
                  f"  evidence: {escape(str(approval.get('evidence')))}\n"
                  f"  expires: {escape(str(approval.get('expires_at')))}", highlight=False)


def _answer_inline(service, approval, user: str, ask: Callable[[str], str], console) -> Any:
    """Ask approve/reject/later; returns the resumed turn (None for later or a refused decision)."""
    from errors import ApprovalError

    choice = ask("approve, reject or later? [a/r/l] ").strip().lower()[:1]
    if choice not in ("a", "r"):
        console.print(f"left pending: answer later with `quantpilot approvals approve {approval['id']} --as NAME`")
        return None
    approver = ask(f"your name [{user}]: ").strip() or user
    try:
        if choice == "a":
            outcome = service.approve(approval["id"], approver, "cli")
        else:
            outcome = service.reject(approval["id"], approver, "cli", ask("reason: ").strip() or "rejected in chat")
    except ApprovalError as exc:
        console.print(f"[red]refused:[/] {escape(str(exc))}", highlight=False)
        return None
    console.print(f"approval {approval['id']}: [bold]{outcome.approval.status}[/]", highlight=False)
    return outcome.turn


def run_chat(once: str | None, thread_id: str | None, user: str, as_json: bool, *,
             agents: Mapping[str, Any] | None = None, ask: Callable[[str], str] = input) -> None:
    """The chat command's body; ``agents`` and ``ask`` are injectable (scripted models, scripted input)."""
    from api.output import console, print_json
    from config import get_settings
    from errors import ApprovalError
    from graph.approval_resume import approval_service
    from graph.runner import ChatSession
    from graph.wiring import product_context, product_graph
    from memory.db import connect
    from memory.ladder import ThreadStore

    settings = get_settings()
    database = connect(settings)
    context = product_context(settings, database, channel="cli")
    graph = product_graph(settings, database, agents, user=user)
    session = ChatSession(graph, {"id": user, "role": "trader"}, thread_id=thread_id, context=context,
                          threads=ThreadStore(database))
    if once is not None:
        result, approval = _render(session.stream(once, tokens=False), console, quiet=as_json)
        if as_json:
            print_json({"thread_id": session.thread_id, **result.to_dict()})
            return
        if approval:
            _show_approval(console, approval)
        console.print(result.answer, highlight=False, markup=False)  # model text: never Rich markup
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
            result, approval = _render(session.stream(text, tokens=False), console, quiet=False)
        except ApprovalError as exc:
            console.print(f"[red]{escape(str(exc))}[/]", highlight=False)
            continue
        while approval is not None:
            _show_approval(console, approval)
            turn = _answer_inline(service, approval, user, ask, console)
            if turn is None:
                break
            result, approval = turn, (session.pending_approval() if turn.pending_approval else None)
        if result is not None and result.answer:
            console.print(f"[bold]quantpilot[/]: {escape(result.answer)}", highlight=False)
