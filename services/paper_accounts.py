"""Paper accounts: separate books in one database, named by an id (``paper`` unless configured otherwise).

Each account has its own cash, positions, orders, P&L, drawdown high-water mark, breakers and market clock;
the kill switch alone is global. An account exists from its first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from config import Settings
from errors import ConfigError
from guardrails.policy import Actor, Operation, require
from memory.db import Database

if TYPE_CHECKING:
    from services.execution import ExecutionService

ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def account_id(value: str | None, settings: Settings) -> str:
    """``value`` as an account id (lower case letters, digits, ``-`` and ``_``), or the configured default."""
    if value is None or not str(value).strip():
        return settings.paper_account
    name = str(value).strip().lower()
    if not ACCOUNT_ID.match(name):
        raise ConfigError(f"account {value!r} is not a valid account id: use up to 64 lower-case letters, digits, "
                          "'-' and '_' (e.g. paper, demo, swing-1)", details={"field": "account"})
    return name


def known_accounts(database: Database) -> list[str]:
    """Every paper account that holds anything: a ledger, orders, a clock or a breaker state."""
    sql = """
        SELECT account_id FROM paper_accounts UNION SELECT account_id FROM orders WHERE mode = 'paper'
        UNION SELECT account_id FROM market_clocks
        UNION SELECT substr(scope, 9) FROM trading_state WHERE scope LIKE 'account:%'
        ORDER BY 1
    """
    with database.engine.connect() as conn:
        return [row[0] for row in conn.execute(text(sql))]


@dataclass(frozen=True)
class AccountOverview:
    """One paper account at a glance: its clock (``AccountClock``), trading state, equity (dollars) and how many
    positions it holds."""

    account_id: str
    clock: Any
    trading_state: str
    equity_usd: Decimal
    positions: int

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "clock": self.clock.to_dict(), "trading_state": self.trading_state,
                "equity_usd": str(self.equity_usd), "positions": self.positions}


def accounts_overview(service: ExecutionService, actor: Actor) -> list[AccountOverview]:
    """Every known paper account and the service's default one (even untouched), by name (viewer); empty where
    the broker has a single account."""
    require(actor, Operation.READ_TRADING)
    rows = []
    for name in sorted({*known_accounts(service.database), service.account}):
        book_of = service.for_account(name)
        if book_of is None:
            continue
        book, state, _ = book_of.risk_state(actor)
        rows.append(AccountOverview(name, book_of.market_clock(), state.status.value, book.equity_usd,
                                    len(book.positions)))
    return rows
