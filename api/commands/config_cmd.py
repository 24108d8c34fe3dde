"""``quantpilot config``: show the effective settings, secrets redacted."""

from __future__ import annotations

import typer

app = typer.Typer(help="Show configuration.", no_args_is_help=True)


@app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print every setting (env prefix QUANTPILOT_, .env supported); secrets shown as **********."""
    from api.output import print_json, print_table
    from config import get_settings

    values = get_settings().redacted()
    if as_json:
        print_json(values)
    else:
        print_table("quantpilot settings", ["setting", "value"], sorted(values.items()))
