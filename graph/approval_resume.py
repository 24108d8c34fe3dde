"""The graph's side of an approval decision: ``GraphResumer`` lets ``services.approvals.ApprovalService``
continue the interrupted thread on the checkpointer-backed graph, without the service importing the graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from graph.context import GraphContext
from graph.runner import TurnResult, pending_interrupt, resume_turn
from services.approvals import ApprovalService


@dataclass(frozen=True)
class GraphResumer:
    """Resumes threads of ``graph`` with ``Command(resume=decision)`` under ``context``."""

    graph: CompiledStateGraph
    context: GraphContext

    def waiting_approval(self, thread_id: str) -> str | None:
        waiting = pending_interrupt(self.graph, thread_id)
        return None if waiting is None else waiting[1].get("id")

    def resume(self, thread_id: str, decision: dict[str, Any]) -> TurnResult:
        return resume_turn(self.graph, thread_id, decision, context=self.context)


def approval_service(context: GraphContext, graph: CompiledStateGraph | None = None) -> ApprovalService:
    """The ApprovalService on ``context``'s store, clock and live rules; it resumes threads of ``graph`` if given."""
    if context.approvals is None:
        raise ValueError("the graph context has no approval store")
    return ApprovalService(context.approvals, None if graph is None else GraphResumer(graph, context),
                           clock=context.clock, live_trading_enabled=context.live_trading_enabled,
                           allow_self_approval=context.allow_self_approval)
