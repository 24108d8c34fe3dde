"""``quantpilot users``: users and their keys (add prints the key once; list; revoke; role), and ``login``.

Managing users needs an admin's key. The very first admin of an install is created without one (local
set-up): ``quantpilot users add NAME --role admin`` on an install with no admin yet.
"""

from __future__ import annotations

import typer

app = typer.Typer(help="Users and keys: add, list, revoke, role (admin).", no_args_is_help=True)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="User name: letters, digits and _.@-"),
    role: str = typer.Option(..., "--role", help="viewer | trader | approver | admin"),
    login: bool = typer.Option(False, "--login", help="Also sign this CLI in as the new user."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a user and print their API key. The key is shown this once and cannot be recovered."""
    import os

    from api.cli_auth import API_KEY_ENV, cli_actor, save_key, saved_key, user_service
    from api.output import console, err_console, print_json
    from guardrails.policy import Role

    service, wanted = user_service(), Role.parse(role)
    first_admin = wanted is Role.ADMIN and not service.store.count_active(Role.ADMIN)
    if first_admin and not (saved_key() or os.environ.get(API_KEY_ENV)):
        issued = service.bootstrap_admin(name)
        err_console.print("no admin existed yet: created the first admin without a key (local set-up)",
                          highlight=False)
        login = login or saved_key() is None
    else:
        issued = service.add(cli_actor(), name, wanted)
    where = save_key(issued.api_key) if login else None
    if as_json:
        print_json({"user": issued.user.to_dict(), "api_key": issued.api_key,
                    "signed_in": where is not None})
        return
    console.print(f"user [bold]{issued.user.name}[/] ({issued.user.role.value}) created. API key — shown once, "
                  "store it now:", highlight=False)
    console.print(issued.api_key, highlight=False, soft_wrap=True, markup=False)
    if where is not None:
        console.print(f"this CLI now acts as {issued.user.name} (key saved to {where}, mode 0600)", highlight=False)


@app.command("list")
def list_(
    include_revoked: bool = typer.Option(True, "--all/--active", help="Include revoked users."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Users with role, public key id and whether the key is active (never the key). Admin."""
    from api.cli_auth import cli_actor, user_service
    from api.output import print_json, print_table
    from quant.display import day

    users = user_service().list(cli_actor(), include_revoked=include_revoked)
    if as_json:
        print_json([u.to_dict() for u in users])
        return
    print_table("users", ["id", "name", "role", "key id", "created", "revoked"],
                [(u.id, u.name, u.role.value, u.key_id, day(u.created_at), day(u.revoked_at) if u.revoked_at else "no")
                 for u in users])


@app.command("revoke")
def revoke(
    name: str = typer.Argument(..., help="User whose key stops working."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Revoke a user's key (running servers stop accepting it within their auth cache time, 5 s by default)."""
    from api.cli_auth import cli_actor, user_service
    from api.output import console, print_json

    user = user_service().revoke(cli_actor(), name)
    if as_json:
        print_json(user.to_dict())
        return
    console.print(f"revoked [bold]{user.name}[/] (key id {user.key_id})", highlight=False)


@app.command("role")
def set_role(
    name: str = typer.Argument(...),
    role: str = typer.Argument(..., help="viewer | trader | approver | admin"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Give a user another role (takes effect on every interface at once). Admin."""
    from api.cli_auth import cli_actor, user_service
    from api.output import console, print_json

    user = user_service().set_role(cli_actor(), name, role)
    if as_json:
        print_json(user.to_dict())
        return
    console.print(f"{user.name} is now a {user.role.value}", highlight=False)


def login(
    key_file: str | None = typer.Option(None, "--key-file", help="Read the key from this file, not a prompt."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Sign this CLI in: the key is checked, then saved to $QUANTPILOT_HOME/credentials.json (mode 0600)."""
    import sys
    from getpass import getpass
    from pathlib import Path

    from api.cli_auth import save_key, user_service
    from api.output import console, print_json
    from errors import ConfigError
    from guardrails.policy import Channel

    if key_file:
        try:
            key = Path(key_file).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read --key-file {key_file}: {exc.strerror}", details={"field": "key_file"}) \
                from None
    elif sys.stdin.isatty():
        key = getpass("quantpilot API key (not shown): ").strip()
    else:
        key = sys.stdin.readline().strip()
    actor = user_service().authenticate(key, Channel.CLI)
    where = save_key(key)
    if as_json:
        print_json({**actor.to_dict(), "credentials": str(where)})
    else:
        console.print(f"signed in as [bold]{actor.name}[/] ({actor.role.value}); key saved to {where}",
                      highlight=False)


def logout() -> None:
    """Forget the saved key; the CLI then acts as the local reader (reads only)."""
    from api.cli_auth import forget_key
    from api.output import console

    console.print("signed out" if forget_key() else "not signed in", highlight=False)


def whoami(as_json: bool = typer.Option(False, "--json")) -> None:
    """Who this CLI acts as."""
    from api.cli_auth import cli_actor
    from api.output import console, print_json

    actor = cli_actor(required=False)
    if as_json:
        print_json(actor.to_dict())
    elif actor.is_person:
        console.print(f"{actor.name} ({actor.role.value})", highlight=False)
    else:
        console.print("not signed in: the local reader (reads only); `quantpilot login` to act as a user",
                      highlight=False)
