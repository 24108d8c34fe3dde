"""``quantpilot usage``: model tokens, calls, latency and dollars from the usage ledger.

``usage [--thread ID] [--user NAME] [--since 2026-01-31|24h|7d] [--json]`` sums the stored model calls
(every interface's, every agent's) per model, with the total; ``--json`` keeps every digit. The signed-in user
sees their own calls (without a key: the local reader's), an admin anyone's (``services.usage_ledger``).
"""

from __future__ import annotations

import typer


def usage(
    thread: str | None = typer.Option(None, "--thread", help="Only this thread."),
    user: str | None = typer.Option(None, "--user", help="Only this user's turns (admin, unless it is you)."),
    since: str | None = typer.Option(None, "--since", help="From this date/time, or a span back: 24h, 7d, 30m."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Model usage: calls, tokens, latency and dollars, per model (from the usage ledger in Postgres)."""
    from datetime import UTC, datetime

    from api.cli_auth import cli_actor
    from api.output import console, print_json, print_table
    from config import get_settings
    from memory.db import connect
    from quant.display.text import counted
    from services.usage_ledger import database_ledger, parse_since

    settings = get_settings()
    start = parse_since(since, datetime.now(UTC))
    report = database_ledger(connect(settings), settings).report(cli_actor(required=False), thread_id=thread,
                                                                  user=user, since=start)
    if as_json:
        print_json(report.to_dict())
        return
    rows = [_row(s.model or "", s) for s in report.by_model]
    print_table(_title(report), ["model", "calls", "input tokens", "output tokens", "$", "mean latency s"],
                [*rows, _row("total", report.total)] if len(rows) != 1 else rows)
    if report.total.unpriced_calls:
        console.print(f"{counted(report.total.unpriced_calls, 'call')} had no price: their dollars are not counted "
                      "(set QUANTPILOT_MODEL_PRICES)", highlight=False)
    if report.total.failed_calls:
        console.print(f"{counted(report.total.failed_calls, 'call')} failed at the model server", highlight=False)


def _row(name: str, s) -> tuple[str, ...]:
    from quant.display.numbers import count, money, number

    mean_s = s.latency_ms / s.calls / 1000 if s.calls else 0.0
    return (name, count(s.calls), count(s.input_tokens), count(s.output_tokens), money(s.cost_usd, digits=4),
            number(mean_s))


def _title(report) -> str:
    parts = [f"thread {report.thread_id}" if report.thread_id else "", f"user {report.user}" if report.user
             else "", f"since {report.since:%Y-%m-%d %H:%M} UTC" if report.since else ""]
    return "model usage" + (" — " + ", ".join(p for p in parts if p) if any(parts) else "")
