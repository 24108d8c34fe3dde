"""The research tools on the real database: synthetic AAPL and MSFT bars, the clock at ``RESEARCH_NOW``."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from config import Settings
from memory.embeddings import Embedder
from memory.long_term import LongTermMemory
from services.market_data import MarketDataService
from tests.support.people import SYSTEM
from tools import ToolContext, all_tools

RESEARCH_NOW = datetime(2024, 7, 1, 21, 0, tzinfo=UTC)


@pytest.fixture()
def tools(database):
    """Every tool on a context with the synthetic bars loaded, user alice and her long-term memory."""
    MarketDataService(database, actor=SYSTEM).load("synthetic", ["AAPL", "MSFT"], date(2022, 1, 3), date(2024, 6, 28))
    ctx = ToolContext(settings=Settings(), database=database, clock=lambda: RESEARCH_NOW,
                      data_sources=("synthetic",), allow_network=False, user="alice", role="trader",
                      long_term_memory=LongTermMemory(database, Embedder()))
    return all_tools(ctx)
