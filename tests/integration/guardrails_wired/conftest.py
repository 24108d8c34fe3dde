"""The product graph on the real embedded Postgres: offline planner, bundled prices, simulated broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from config import Settings
from guardrails.ladder import LadderCriteria

NOW = datetime(2023, 6, 30, 21, 0, tzinfo=UTC)  # after the bundled data's last bar (2022-12-28)


@pytest.fixture()
def thread_id() -> str:
    return f"thr_{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def broker():
    from quant.execution.broker import BrokerMode
    from quant.execution.simulated import SimulatedBroker

    return SimulatedBroker({"AAPL": 150, "MSFT": 300}, cash_usd=100_000, clock=lambda: NOW, mode=BrokerMode.PAPER)


@pytest.fixture()
def product(database, broker):
    """Build the graph the way ``graph.wiring`` does, with the boundaries swapped: clock, broker, no network."""

    def make(*, model=None, criteria: LadderCriteria | None = None, **tool_overrides):
        from agents import OfflinePlanner, build_agents
        from graph.build import build_graph
        from graph.context import database_context
        from memory.checkpoint import postgres_checkpointer
        from tools import ToolContext

        settings = Settings()
        ctx = ToolContext(settings=settings, database=database, clock=lambda: NOW, broker=broker,
                          data_sources=("bundled",), allow_network=False, user="alice", role="trader",
                          **tool_overrides)
        agents = build_agents(settings, ctx, model=model or OfflinePlanner())
        graph = build_graph(agents, checkpointer=postgres_checkpointer(database))
        context = database_context(database, clock=lambda: NOW, channel="cli",
                                   **({"criteria": criteria} if criteria else {}))
        make.tool_context = ctx
        return graph, context

    return make
