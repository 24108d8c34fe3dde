"""The product graph as every interface builds it: agents from ``agents.build_agents(settings)``,
the Postgres checkpointer and repositories on ``memory.db.connect()``, the live switch from settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from errors import ConfigError
from graph.context import GraphContext, TurnLimits, database_context

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

    from config import Settings
    from memory.db import Database


def load_agents(settings: Settings, database: Database | None = None, *, user: str = "system",
                role: str = "viewer", account: str | None = None) -> Mapping[str, Any]:
    """The five agents from ``agents.build_agents`` over a ``ToolContext`` on ``database`` (imported here:
    agents load their models and tools), trading in the paper ``account`` (default: the configured one).
    ``user``/``role`` are the defaults; each tool call is re-scoped to the thread's user and role by the graph."""
    try:
        from agents import build_agents
        from tools import ToolContext
    except ImportError as exc:
        raise ConfigError(f"the agents are not available ({exc}); cannot run the agent graph") from exc
    if database is None:
        return build_agents(settings, ToolContext(settings=settings, database=None, user=user, role=role))
    from memory.trading_state import RiskLimitStore
    from services.execution_path import execution_service

    # orders from the agents go through the same execution path as every other interface (and alerts, by the
    # context's default, through services.alert_ledger)
    execution = execution_service(database, settings, account=account)
    context = ToolContext(settings=settings, database=database, user=user, role=role, broker=execution.broker,
                          order_gateway=execution, trading_state=execution.book_states(),
                          risk_limits=RiskLimitStore(database).current())
    return build_agents(settings, context)


def product_context(settings: Settings, database: Database, channel: str, *,
                    account: str | None = None) -> GraphContext:
    """Repositories, audit log, long-term memory and the usage ledger on ``database``; live trading and the
    per-turn limits exactly as configured (never from state or a prompt)."""
    from services.approval_effects import execution_effects, limit_change_effect
    from services.execution_path import execution_service
    from services.limits import LimitService
    from services.usage_ledger import database_ledger

    # an approved single order, resume or breaker reset acts through the same execution path as everything else;
    # an approved limit change is put in force by the same service the CLI and the API use
    execution = execution_service(database, settings, account=account)
    limits = LimitService(database, clock=execution.now, allow_self_approval=settings.allow_self_approval)
    effects = execution_effects(execution, apply_limits=limit_change_effect(limits))
    return database_context(database, live_trading_enabled=settings.live_trading, channel=channel, effects=effects,
                            allow_self_approval=settings.allow_self_approval, usage=database_ledger(database, settings),
                            limits=turn_limits(settings))


def turn_limits(settings: Settings) -> TurnLimits:
    """The per-turn caps from settings."""
    return TurnLimits(max_tool_calls=settings.turn_max_tool_calls, max_usd=float(settings.turn_max_usd),
                      max_tokens=settings.turn_max_tokens, corrections=settings.model_corrections)


def product_graph(settings: Settings, database: Database, agents: Mapping[str, Any] | None = None, *,
                  user: str = "system", account: str | None = None) -> CompiledStateGraph:
    """The compiled graph on the Postgres checkpointer; ``agents`` defaults to ``load_agents(settings)`` trading
    in ``account``. With a real model, clear requests are pre-routed to their tool calls (``graph.pre_router``)."""
    from config import ModelProvider
    from graph.build import build_graph
    from memory.checkpoint import postgres_checkpointer

    return build_graph(agents if agents is not None else load_agents(settings, database, user=user,
                                                                     account=account),
                       checkpointer=postgres_checkpointer(database),
                       pre_route=settings.model_provider is ModelProvider.OPENAI)
