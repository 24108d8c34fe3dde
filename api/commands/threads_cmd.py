"""``quantpilot threads``: conversation threads (index in Postgres, messages in the checkpointer)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Conversation threads: list, show, recover.", no_args_is_help=True)


@app.command("list")
def list_(
    user: str | None = typer.Option(None, "--user", help="Only this user's threads."),
    limit: int = typer.Option(50, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Threads, most recently active first (the id column is the key ``threads show`` takes)."""
    from dataclasses import asdict

    from api.output import print_json, print_table
    from memory.db import connect
    from memory.threads import ThreadStore
    from quant.display import timestamp

    threads = ThreadStore(connect()).list(user, limit)
    if as_json:
        print_json([asdict(t) for t in threads])
        return
    print_table("threads", ["id", "user", "title", "last active"],
                [(t.key, t.user_id, t.title, timestamp(t.updated_at)) for t in threads])


@app.command("show")
def show(thread_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """A thread's messages, route and any approval it waits for."""
    from dataclasses import asdict

    from api.output import console, print_json
    from graph.transcript import thread_transcript
    from memory.checkpoint import postgres_checkpointer
    from memory.db import connect
    from memory.threads import ThreadStore

    database = connect()
    record = ThreadStore(database).get(thread_id)
    data = {**asdict(record), **thread_transcript(postgres_checkpointer(database), thread_id)}
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{record.title}[/] ({record.id}, {record.user_id})", highlight=False)
    for message in data["messages"]:
        calls = "".join(f"\n    → {c['name']}({c['args']})" for c in message.get("tool_calls", []))
        who = message["role"] + (f" {message['name']}" if message.get("name") else "")
        console.print(f"{who}: {message['content']}{calls}", highlight=False, markup=False)
    if data["pending_approval"]:
        console.print(f"waiting for approval {data['pending_approval']['id']}", highlight=False)


@app.command("recover")
def recover(
    min_idle_s: float = typer.Option(0.0, "--min-idle", min=0.0,
                                     help="Skip threads whose last step is younger than this (seconds)."),
    max_age_h: float = typer.Option(24.0, "--max-age-hours", min=0.0,
                                    help="Skip threads whose last step is older than this (hours; 0 = no limit): "
                                         "a turn cut off long ago acted on what was true then."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Continue threads whose process died mid-step (not those waiting for an approval)."""
    from api.output import console, print_json
    from config import get_settings
    from graph.recovery import resume_product_threads
    from memory.db import connect

    settings = get_settings()
    resumed = resume_product_threads(settings, connect(settings), channel="cli", min_idle_s=min_idle_s,
                                     max_age_s=max_age_h * 3600 or None)
    if as_json:
        print_json([r.to_dict() for r in resumed])
        return
    if not resumed:
        console.print("no thread was left mid-step", highlight=False)
    for r in resumed:
        tail = f": {r.error}" if r.error else ""
        console.print(f"{r.thread_id}: continued at {', '.join(r.due_nodes)} -> {r.outcome}{tail}", highlight=False)
