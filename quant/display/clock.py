"""A paper account's market clock as text for people (terminal, Slack): which clock the account runs on and what
moving its simulated market did. Inputs are what the services produce (``AccountClock.describe()``,
``ClockAdvance.to_dict()``), so every interface says the same words."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from quant.display.numbers import day, money, signed_money
from quant.display.text import counted


def clock_text(account_id: str, description: str) -> str:
    """``account paper: simulated market at 2024-02-01`` (``description``: ``AccountClock.describe()``)."""
    return f"account {account_id}: {description}"


def clock_advance_text(report: Mapping[str, Any]) -> str:
    """What advancing a simulated market did: the dates, sessions stepped, resting orders filled, equity and its
    change (dollars), the trading state; a second line with the halt's reason and how to lift it, if any."""
    change = Decimal(str(report["equity_after_usd"])) - Decimal(str(report["equity_before_usd"]))
    lines = [f"account {report['account_id']}: simulated market {day(report['from'])} → {day(report['to'])} "
             f"({counted(report['sessions'], 'session')}); {counted(len(report.get('fills') or []), 'resting order')}"
             f" filled; equity {money(report['equity_after_usd'])} ({signed_money(change)}); trading "
             f"{report['trading_state']}"]
    if report.get("release"):
        lines.append(f"{report.get('reason')}. To lift it: {report['release']}")
    return "\n".join(lines)

