"""CLI commands for Slack: ``quantpilot users link-slack|unlink-slack|slack-links`` and the ``quantpilot slack``
group (``sync`` posts and updates approval cards, ``summary`` posts the daily summary, ``socket`` runs
Socket Mode). Registered by ``api/cli.py``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Slack: approval cards, daily summary, Socket Mode.", no_args_is_help=True)


def link_slack(
    name: str = typer.Argument(..., help="quantpilot user (see `quantpilot users list`)"),
    slack_user_id: str = typer.Argument(..., help="Slack member id, e.g. U012AB3CD"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Let a Slack user act as NAME (and with NAME's role) in Slack. Admin."""
    from api.cli_auth import cli_actor, user_service
    from api.output import console, print_json

    link = user_service().link_slack(cli_actor(), name, slack_user_id)
    if as_json:
        print_json(link.to_dict())
        return
    console.print(f"Slack user {link.slack_user_id} now acts as [bold]{link.user_name}[/]", highlight=False)


def unlink_slack(slack_user_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """Stop a Slack user acting as anyone."""
    from api.cli_auth import cli_actor, user_service
    from api.output import console, print_json

    link = user_service().unlink_slack(cli_actor(), slack_user_id)
    if as_json:
        print_json(link.to_dict())
        return
    console.print(f"Slack user {link.slack_user_id} unlinked", highlight=False)


def slack_links(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Slack users and the quantpilot users they act as."""
    from api.cli_auth import cli_actor, user_service
    from api.output import print_json, print_table

    links = user_service().slack_links(cli_actor())
    if as_json:
        print_json([link.to_dict() for link in links])
        return
    print_table("Slack links", ["slack user", "quantpilot user", "linked by", "since"],
                [(x.slack_user_id, x.user_name or f"(revoked user {x.user_id})", x.linked_by, x.created_at)
                 for x in links])


def _runtime():
    from api.slack.runtime import build_runtime
    from config import get_settings
    from memory.db import connect

    settings = get_settings()
    return build_runtime(settings, connect(settings))


@app.command("sync")
def sync(every: float = typer.Option(0.0, "--every", help="Repeat every SECONDS (0: once)."),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """Post a card for each pending approval and update cards decided elsewhere (CLI, API, web)."""
    import time

    from api.output import console, print_json
    from api.slack.publisher import SlackPublisher

    publisher = SlackPublisher(_runtime())
    while True:
        report = publisher.sync()
        data = {"posted": list(report.posted), "updated": list(report.updated), "failed": list(report.failed)}
        if as_json:
            print_json(data)
        else:
            console.print(f"posted {len(report.posted)}, updated {len(report.updated)}, "
                          f"failed {len(report.failed)}", highlight=False)
        if every <= 0:
            if report.failed:
                raise typer.Exit(2)
            return
        time.sleep(every)


@app.command("summary")
def summary(as_json: bool = typer.Option(False, "--json")) -> None:
    """Post today's daily summary to the alerts channel."""
    from api.cli_auth import cli_actor
    from api.output import console, print_json
    from api.slack.publisher import SlackPublisher
    from services.daily_summary import generate_daily_summary

    runtime = _runtime()
    ts = SlackPublisher(runtime).post_daily_summary(generate_daily_summary(runtime.execution(),
                                                                           cli_actor(required=False)))
    if as_json:
        print_json({"channel": runtime.settings.alerts_channel, "ts": ts})
    else:
        console.print(f"daily summary posted to {runtime.settings.alerts_channel}", highlight=False)


@app.command("socket")
def socket() -> None:
    """Serve the Slack app over Socket Mode (no public URL needed; QUANTPILOT_SLACK_APP_TOKEN=xapp-…)."""
    from api.slack.bolt_app import run_socket_mode

    run_socket_mode(_runtime())
