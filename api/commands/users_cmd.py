"""``quantpilot users``: API users and their keys (add prints the key once; list; revoke)."""

from __future__ import annotations

import typer

app = typer.Typer(help="API users and keys: add, list, revoke.", no_args_is_help=True)


def _store():
    from api.schemas.settings import ApiSettings
    from memory.db import connect
    from memory.users import UserStore

    pepper = ApiSettings().key_pepper
    return UserStore(connect(), pepper=pepper.get_secret_value().encode() if pepper else b"")


@app.command("add")
def add(
    name: str = typer.Argument(..., help="User name: letters, digits and _.@-"),
    role: str = typer.Option(..., "--role", help="viewer | trader | approver | admin"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a user and print their API key. The key is shown this once and cannot be recovered."""
    from api.output import console, print_json
    from memory.users import parse_role

    issued = _store().add(name, parse_role(role))
    if as_json:
        print_json({"user": issued.user.to_dict(), "api_key": issued.api_key})
        return
    console.print(f"user [bold]{issued.user.name}[/] ({issued.user.role.value}) created. API key — shown once, "
                  "store it now:", highlight=False)
    console.print(issued.api_key, highlight=False, soft_wrap=True)


@app.command("list")
def list_(
    include_revoked: bool = typer.Option(True, "--all/--active", help="Include revoked users."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Users with role, public key id and whether the key is active (never the key)."""
    from api.output import print_json, print_table
    from quant.display import day

    users = _store().list(include_revoked=include_revoked)
    if as_json:
        print_json([u.to_dict() for u in users])
        return
    print_table("API users", ["name", "role", "key id", "created", "revoked"],
                [(u.name, u.role.value, u.key_id, day(u.created_at), day(u.revoked_at) if u.revoked_at else "no")
                 for u in users])


@app.command("revoke")
def revoke(
    name: str = typer.Argument(..., help="User whose key stops working."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Revoke a user's key (running servers stop accepting it within their auth cache time, 5 s by default)."""
    from api.output import console, print_json

    user = _store().revoke(name)
    if as_json:
        print_json(user.to_dict())
        return
    console.print(f"revoked [bold]{user.name}[/] (key id {user.key_id})", highlight=False)
