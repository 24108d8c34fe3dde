"""The services the agent, approval, research and trading routers share, as ``Annotated`` dependencies.

``create_app`` attaches only the database and users; the agent graph (agents, checkpointer, context)
is built on first use and kept on ``app.state.agent_runtime`` — a test puts its own there (offline
planner with a fixed clock and broker) instead of patching anything inside. ``app.state.settings``
likewise overrides ``config.get_settings()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Query, Request

from api.deps import DatabaseDep
from config import Settings, get_settings
from graph.approval_resume import approval_service
from memory.db import Database
from memory.users import ApiUser
from services.approvals import ApprovalService
from services.execution import ExecutionService
from services.quotas import UsageQuotas

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

    from graph.context import GraphContext
    from memory.threads import ThreadStore

CHANNEL = "api"
_build_lock = threading.Lock()


@dataclass(frozen=True)
class AgentRuntime:
    """One compiled graph (Postgres checkpointer) and its run context, shared by every API request."""

    graph: CompiledStateGraph
    context: GraphContext
    threads: ThreadStore
    quotas: UsageQuotas | None = None  # per-user limits on running turns (services.quotas)

    def approvals(self) -> ApprovalService:
        assert self.context.approvals is not None
        return approval_service(self.context, self.graph)

    @classmethod
    def build(cls, settings: Settings, database: Database) -> AgentRuntime:
        """The product graph exactly as ``graph.wiring`` builds it, channel ``api``."""
        from graph.wiring import product_context, product_graph
        from memory.threads import ThreadStore

        return cls(product_graph(settings, database, user="api"), product_context(settings, database, CHANNEL),
                   ThreadStore(database), UsageQuotas(database, settings))


def user_ref(user: ApiUser) -> dict[str, Any]:
    """The graph's ``UserRef`` for an API caller: tool calls run as this person (name, id, role)."""
    return {"id": user.name, "role": user.role.value, "user_id": user.id}


async def get_settings_dep(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_agent_runtime(request: Request, settings: SettingsDep, database: DatabaseDep) -> AgentRuntime:
    """The app's runtime, built once (under a lock: agents load models and tools) on first use."""
    state = request.app.state
    runtime = getattr(state, "agent_runtime", None)
    if runtime is None:
        with _build_lock:
            runtime = getattr(state, "agent_runtime", None)
            if runtime is None:
                runtime = state.agent_runtime = AgentRuntime.build(settings, database)
    return runtime


AgentRuntimeDep = Annotated[AgentRuntime, Depends(get_agent_runtime)]


def get_approval_service(runtime: AgentRuntimeDep) -> ApprovalService:
    return runtime.approvals()


ApprovalServiceDep = Annotated[ApprovalService, Depends(get_approval_service)]


def get_execution_service(
    request: Request, settings: SettingsDep, database: DatabaseDep,
    account: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
                                         description="the paper account (default: QUANTPILOT_PAPER_ACCOUNT)")] = None,
) -> ExecutionService:
    """The execution path on the paper broker in ``account``, on its market clock; ``app.state.broker``/
    ``app.state.clock`` replace the broker and the clock (tests, replays). Live trading is not served here."""
    from config import TradingMode
    from errors import ConfigError
    from services.execution_path import execution_service

    clock = getattr(request.app.state, "clock", None)
    broker = getattr(request.app.state, "broker", None)
    if broker is not None:
        return ExecutionService(database, broker, settings=settings, **({"clock": clock} if clock else {}))
    if settings.trading_mode is TradingMode.LIVE:
        raise ConfigError("live trading through the API is not wired; use paper (QUANTPILOT_TRADING_MODE=paper)")
    return execution_service(database, settings, account=account, clock=clock)


ExecutionDep = Annotated[ExecutionService, Depends(get_execution_service)]


async def events_from_thread(produce: Callable[[], Iterator[Any]]) -> AsyncIterator[Any]:
    """Items of the blocking iterator ``produce()`` as they come, run to its end on its own thread.

    LangGraph's sync stream keeps state across steps, so the whole iteration stays on one thread; an
    exception is yielded (not raised) as the last item. A client that disconnects does not stop the
    turn: it runs on to its checkpoint, so the thread is never left half-done.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    end = object()

    def put(item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone (client left): run the turn to its end
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        try:
            for item in produce():
                put(item)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which reports it as an event
            put(exc)
        finally:
            put(end)

    threading.Thread(target=work, name="api-turn-stream", daemon=True).start()
    while True:
        item = await queue.get()
        if item is end:
            return
        yield item


def get_approval_reader(database: DatabaseDep) -> ApprovalService:
    """The service without the graph: enough to list and show (no agents are loaded)."""
    from memory.approvals import ApprovalStore

    return ApprovalService(ApprovalStore(database), allow_self_approval=get_settings().allow_self_approval)


ApprovalReaderDep = Annotated[ApprovalService, Depends(get_approval_reader)]
