"""Paper accounts: separate books in one database, named by an id (``paper`` unless configured otherwise).

Each account has its own cash, positions, orders, P&L, drawdown high-water mark, breakers and market clock;
the kill switch alone is global. An account exists from its first use.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from config import Settings
from errors import ConfigError
from memory.db import Database

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
