"""The MCP server on the test database: API keys per role, recent synthetic bars so the risk policy can
price an order (the execution gate then decides on approval alone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import text


def count(database, table: str, where: str = "true") -> int:
    with database.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one()


@pytest.fixture()
def keys(database) -> dict[str, str]:
    from guardrails.policy import Role
    from memory.users import UserStore

    store = UserStore(database)
    return {role.value: store.add(f"mcp-{role.value}", role).api_key for role in Role}


@pytest.fixture()
def recent_bars(database):
    """60 business days of AAA/BBB ending yesterday (the execution path reads bars up to now)."""
    from memory.bars import BarStore
    from tests.integration.execution.conftest import synthetic_bars

    frame = synthetic_bars()
    end = pd.Timestamp(datetime.now(UTC).date() - timedelta(days=1), tz="UTC")
    days = pd.bdate_range(end=end, periods=frame.groupby("symbol").size().iloc[0], tz="UTC")
    frame["ts"] = frame.groupby("symbol").cumcount().map(dict(enumerate(days)))
    BarStore(database).upsert(frame, source="test")
    return frame


@pytest.fixture()
def toolbox(database):
    from api.mcp_server import product_toolbox
    from config import Settings

    return product_toolbox(Settings(), database)
