"""The web chat as the wired tests build it: the product graph with the offline planner, bundled prices
only (no network), a fixed clock and, optionally, an open paper bar."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2023, 6, 30, 21, 0, tzinfo=UTC)  # after the bundled data's last bar (2022-12-28)


def offline_web_chat(database, *, open_bar: bool = True, **context_overrides):
    from agents import OfflinePlanner, build_agents
    from api.web.chat import WebChat
    from config import Settings
    from graph.build import build_graph
    from graph.context import database_context
    from guardrails.ladder import LadderCriteria
    from memory.checkpoint import postgres_checkpointer
    from memory.threads import ThreadStore
    from tools import ToolContext

    settings = Settings()
    ctx = ToolContext(settings=settings, database=database, clock=lambda: NOW, data_sources=("bundled",),
                      allow_network=False)
    graph = build_graph(build_agents(settings, ctx, model=OfflinePlanner()),
                        checkpointer=postgres_checkpointer(database))
    if open_bar:
        context_overrides.setdefault("criteria", LadderCriteria(min_oos_sharpe=-100.0, min_trades=0,
                                                                max_drawdown_pct=100.0))
    context = database_context(database, clock=lambda: NOW, channel="web", **context_overrides)
    return WebChat(graph, context, ThreadStore(database))
