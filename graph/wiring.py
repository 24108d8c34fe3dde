"""The product graph as every interface builds it: agents from ``agents.build_agents(settings)``,
the Postgres checkpointer and repositories on ``memory.db.connect()``, the live switch from settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from errors import ConfigError
from graph.context import GraphContext, database_context

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

    from config import Settings
    from memory.db import Database


def load_agents(settings: Settings) -> Mapping[str, Any]:
    """The five agents from ``agents.build_agents(settings)`` (imported here: agents load models)."""
    try:
        from agents import build_agents  # type: ignore[attr-defined]
    except ImportError as exc:
        raise ConfigError("agents.build_agents(settings) is not available yet; cannot run the agent graph") from exc
    return build_agents(settings)


def product_context(settings: Settings, database: Database, channel: str) -> GraphContext:
    """Repositories on ``database``; live trading exactly as configured (never from state or a prompt)."""
    return database_context(database, live_trading_enabled=settings.live_trading, channel=channel)


def product_graph(settings: Settings, database: Database, agents: Mapping[str, Any] | None = None
                  ) -> CompiledStateGraph:
    """The compiled graph on the Postgres checkpointer; ``agents`` defaults to ``load_agents(settings)``."""
    from graph.build import build_graph
    from memory.checkpoint import postgres_checkpointer

    return build_graph(agents if agents is not None else load_agents(settings),
                       checkpointer=postgres_checkpointer(database))
