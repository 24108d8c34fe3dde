"""``quantpilot usage``: model tokens, calls, latency and dollars from the usage ledger.

``usage [--thread ID] [--user NAME] [--since 2026-01-31|24h|7d] [--json]`` sums the stored model calls
(every interface's, every agent's) per model, with the total; ``--json`` keeps every digit.
"""

from __future__ import annotations

import typer


def usage(
    thread: str | None = typer.Option(None, "--thread", help="Only this thread."),
    user: str | None = typer.Option(None, "--user", help="Only this user's turns."),
    since: str | None = typer.Option(None, "--since", help="From this date/time, or a span back: 24h, 7d, 30m."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Model usage: calls, tokens, latency and dollars, per model (from the usage ledger in Postgres)."""
    from datetime import UTC, datetime

    from api.output import console, print_json, print_table
    from config import get_settings
    from memory.db import connect
    from memory.model_calls import UsageFilter
    from services.usage_ledger import database_ledger, parse_since

    settings = get_settings()
    chosen = UsageFilter(thread_id=thread, user_id=user, since=parse_since(since, datetime.now(UTC)))
    report = database_ledger(connect(settings), settings).report(chosen)
    if as_json:
        print_json(report.to_dict())
        return
    rows = [_row(s.model or "", s) for s in report.by_model]
    print_table(_title(chosen), ["model", "calls", "input tokens", "output tokens", "$", "mean latency s"],
                [*rows, _row("total", report.total)] if len(rows) != 1 else rows)
    if report.total.unpriced_calls:
        console.print(f"{report.total.unpriced_calls:,} call(s) had no price: their dollars are not counted "
                      "(set QUANTPILOT_MODEL_PRICES)", highlight=False)
    if report.total.failed_calls:
        console.print(f"{report.total.failed_calls:,} call(s) failed at the model server", highlight=False)


def _row(name: str, s) -> tuple[str, ...]:
    mean_s = s.latency_ms / s.calls / 1000 if s.calls else 0.0
    return (name, f"{s.calls:,}", f"{s.input_tokens:,}", f"{s.output_tokens:,}", f"${s.cost_usd:,.4f}",
            f"{mean_s:,.2f}")


def _title(chosen) -> str:
    parts = [f"thread {chosen.thread_id}" if chosen.thread_id else "", f"user {chosen.user_id}" if chosen.user_id
             else "", f"since {chosen.since:%Y-%m-%d %H:%M} UTC" if chosen.since else ""]
    return "model usage" + (" — " + ", ".join(p for p in parts if p) if any(parts) else "")
