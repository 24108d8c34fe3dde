"""``quantpilot audit``: verify the hash-chained audit log, and read its newest entries."""

from __future__ import annotations

import typer

app = typer.Typer(help="The append-only audit log.", no_args_is_help=True)


@app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Re-check every audit row against its hash, its predecessor and the head anchor (admin).

    Exit 0 when the chain is intact, 2 when it is broken (the message names the first bad seq).
    """
    from api.cli_auth import cli_actor
    from api.output import console, print_error, print_json
    from memory.db import connect
    from services.audit import verify_audit

    result = verify_audit(cli_actor(), connect())
    if as_json:
        print_json(result.to_dict())
    elif result.ok:
        console.print(result.message(), highlight=False)
    if not result.ok:
        print_error(result.message())
        raise typer.Exit(code=2)


@app.command("list")
def list_entries(
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000, help="How many entries, newest first."),
    action: str | None = typer.Option(None, "--action", help="Only entries of this action."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The newest audit entries (admin; payload secrets were masked when recorded)."""
    from api.cli_auth import cli_actor
    from api.output import print_json, print_table
    from memory.db import connect
    from quant.display import plain
    from services.audit import recent_audit

    entries = recent_audit(cli_actor(), connect(), limit, action=action)
    if as_json:
        print_json([e.to_dict() for e in entries])
        return
    rows = [(e.seq, plain(e.ts), e.actor, e.channel, e.action, e.subject) for e in entries]
    print_table("audit log", ["seq", "ts", "actor", "channel", "action", "subject"], rows)
