"""``quantpilot db``: the database server and its schema."""

from __future__ import annotations

import typer

app = typer.Typer(help="Database server and migrations.", no_args_is_help=True)


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Server, Postgres and pgvector versions, migration head, row counts."""
    from api.output import print_fields, print_json, print_table
    from memory.status import database_status
    from quant.display import count

    info = database_status()
    if as_json:
        print_json(info)
        return
    # the URL and the migration heads are read whole (they are no ids to shorten): lines, not a table
    print_fields({k.replace("_", " "): v for k, v in info.items() if k != "tables"})
    print_table("rows per table", ["table", "rows"], [(table, count(n)) for table, n in info["tables"].items()])


@app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations (also done automatically on first use)."""
    from api.output import console
    from memory.db import connect
    from memory.migrate import current_revision

    database = connect(migrate=True)
    console.print(f"schema at revision [bold]{current_revision(database)}[/]")


@app.command("url")
def url(show_password: bool = typer.Option(False, help="Print the password too.")) -> None:
    """Print the database URL (starts the embedded server if needed)."""
    from memory.db import connect

    database = connect(migrate=False)
    typer.echo(database.url if show_password else database.safe_url)


@app.command("stop")
def stop() -> None:
    """Stop the embedded Postgres server cleanly (and the resident research process, which uses it)."""
    from api.output import console
    from api.research_server import client
    from api.research_server.wire import ServerPaths
    from config import get_settings
    from memory.db import forget_connections
    from memory.server import stop_embedded

    if research := client.stop(ServerPaths.for_home(get_settings().home)):
        console.print(f"research process {research} stopped", highlight=False, markup=False)
    forget_connections()
    stopped = stop_embedded(get_settings().pgdata)
    console.print("embedded server stopped" if stopped else "embedded server was not running")
