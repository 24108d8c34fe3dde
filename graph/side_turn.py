"""Questions while a thread waits for an approval: answered beside the waiting turn, never instead of it.

A thread stopped at an approval's ``interrupt()`` must stay there until a person decides (new input on that
thread would drop the interrupt). A question that changes nothing ("what's my exposure?") runs instead on a
scratch thread seeded with the waiting thread's finished turns and its thread context, so "it" still resolves,
and the scratch thread is deleted afterwards. Its state is marked ``read_only``: the tools node refuses any
tool that changes state (one a viewer may not call) whatever the model asks. A request the offline planner
reads as a change is refused up front, with the same ``approval_pending`` error as before.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.base import CheckpointTuple

from errors import ApprovalError
from guardrails.authorization import POLICY, ToolPolicy
from guardrails.policy import Role

if TYPE_CHECKING:
    from collections.abc import Mapping

    from langgraph.graph.state import CompiledStateGraph

    from graph.runner import TurnResult
    from graph.state import Budget, UserRef

APPROVAL_PENDING = "approval_pending"
ASIDE = "~aside-"  # a side turn's scratch thread is the waiting thread's id, this, and a random suffix


def answering_for(thread_id: str) -> str:
    """The thread a run answers for: a side turn's scratch thread counts as the waiting thread (its model calls
    are that thread's on the usage ledger)."""
    return thread_id.split(ASIDE, 1)[0]


def changes_state(tool: str, policy: Mapping[str, ToolPolicy] | None = None) -> bool:
    """Whether ``tool`` changes state: every tool a viewer may not call does (orders, promotions, limit changes,
    the kill switch, alerts); an unknown tool counts as one."""
    rule = (policy if policy is not None else POLICY).get(tool)
    return rule is None or rule.min_role is not Role.VIEWER


def waiting_refusal(thread_id: str, approval: Mapping[str, Any], what: str) -> ApprovalError:
    return ApprovalError(
        f"thread {thread_id} waits for a decision on approval {approval['id']} ({approval['kind']}); {what} would "
        "change something, so it waits until that approval is approved or rejected. Questions that change nothing "
        "are answered meanwhile.", code=APPROVAL_PENDING, details={"approval_id": approval["id"]})


def _finished(messages: list[BaseMessage]) -> list[BaseMessage]:
    """The messages of the turns that ended (the waiting turn, with its open tool call, is left out)."""
    last = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None)
    if last is None:
        return messages
    called = {c["id"] for m in messages[last:] if isinstance(m, AIMessage) for c in m.tool_calls}
    answered = {m.tool_call_id for m in messages[last:] if isinstance(m, ToolMessage)}
    return messages[:last] if called - answered else messages


@dataclass(frozen=True)
class SideTurn:
    """A read-only turn on ``thread_id`` (scratch) answering for ``waiting_thread``."""

    thread_id: str
    waiting_thread: str
    pending: dict[str, Any]
    payload: dict[str, Any]
    before: int

    def result(self, result: TurnResult) -> TurnResult:
        """The side turn's result as the waiting thread's: its id, and the approval it still waits for."""
        return replace(result, thread_id=self.waiting_thread, pending_approval=self.pending)

    def forget(self, graph: CompiledStateGraph) -> None:
        delete = getattr(graph.checkpointer, "delete_thread", None)
        if delete is not None:
            delete(self.thread_id)


def side_turn(graph: CompiledStateGraph, thread_id: str, user: UserRef, text: str, saved: CheckpointTuple | None,
              approval: Mapping[str, Any], budget: Budget) -> SideTurn:
    """The side turn for ``text`` on waiting ``thread_id``; ``ApprovalError`` when the request is a change."""
    from agents.understanding import Plan, plan_request

    values = (saved.checkpoint.get("channel_values") or {}) if saved else {}
    context = dict(values.get("thread_context") or {})
    plan = plan_request(text, context)
    if isinstance(plan, Plan):
        changing = [c.name for c in plan.calls if changes_state(c.name)]
        if changing:
            raise waiting_refusal(thread_id, approval, changing[0].replace("_", " "))
    history = _finished(list(values.get("messages") or []))
    payload = {
        "messages": [*history, HumanMessage(content=text)], "user": user, "budget": budget, "hops": 0,
        "next_agent": None, "stop_reason": None, "refusal": None, "ungrounded_numbers": [], "untrusted_flags": None,
        "recollections": [], "thread_context": context, "read_only": True,
        "turn_id": f"turn_{uuid.uuid4().hex[:20]}", "preplanned": False, "model_error": None,
    }
    return SideTurn(f"{thread_id}{ASIDE}{uuid.uuid4().hex[:8]}", thread_id,
                    {"id": approval["id"], "kind": approval["kind"]}, payload, len(history))
