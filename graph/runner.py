"""Running turns: ``stream_turn`` yields typed events, ``run_turn`` returns a ``TurnResult``
(``graph.turn_events``; re-exported here).

A turn is one user message (or one resumed approval) run to its end: an answer, a clean stop,
or an interrupt waiting for a human decision. Every interface (CLI chat, API, Slack, evals)
runs turns through here; threads are indexed in Postgres when a ``memory.threads.ThreadIndex`` is given (the
``ThreadStore`` for a local thread, a user's ``OwnedThread`` for theirs).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, RemoveMessage
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from agents.answers import approval_card
from errors import ApprovalError, ConfigError
from graph.context import GraphContext
from graph.history import SUMMARY_ID, Compaction, StateWindow, compact
from graph.side_turn import SideTurn, side_turn
from graph.state import UserRef, new_budget
from graph.transcript import archive_records
from graph.turn_events import (
    FinalEvent,
    InterruptEvent,
    StepEvent,
    TokenEvent,
    ToolCallEvent,
    ToolResultEvent,
    TurnEvent,
    TurnResult,
    model_error,
    turn_usage,
)
from guardrails.redaction import redact
from memory.checkpoint import transcripts_for

if TYPE_CHECKING:
    from memory.threads import ThreadIndex

__all__ = ["ChatSession", "FinalEvent", "InterruptEvent", "StepEvent", "TokenEvent", "ToolCallEvent",
           "ToolResultEvent", "TurnEvent", "TurnResult", "model_error", "pending_interrupt", "resume_turn",
           "run_turn", "stream_turn", "turn_usage"]


INTERRUPT = "__interrupt__"  # the channel LangGraph writes a pending interrupt to (and the updates key)
# run_turn needs the steps and the final values; stream_turn adds tool events and model tokens
_RESULT_MODES = ("updates", "values")
_EVENT_MODES = ("updates", "values", "custom", "messages")
_STEP_MODES = ("updates", "values", "custom")
MAX_MESSAGE_CHARS = 8000  # one user message; the API's request schema has the same bound
MESSAGE_REFUSED = "message_refused"  # the ConfigError code of a message refused before the turn starts
STATE_WINDOW = StateWindow()  # how many turns a thread's checkpointed state holds (graph.history)


def _config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def _approval(interrupts: Any) -> tuple[str, dict[str, Any]] | None:
    """(interrupt id, approval request JSON) of the first approval among ``interrupts``."""
    for item in interrupts or ():
        if isinstance(item.value, dict) and "kind" in item.value:
            return item.id, item.value
    return None


def _saved(graph: CompiledStateGraph, config: dict[str, Any]) -> CheckpointTuple | None:
    """The thread's latest checkpoint (one read); raises like ``get_state`` when the graph has no checkpointer."""
    if not isinstance(graph.checkpointer, BaseCheckpointSaver):
        raise ValueError("running a turn needs a graph compiled with a checkpointer")
    return graph.checkpointer.get_tuple(config)


def _waiting(graph: CompiledStateGraph, config: dict[str, Any], saved: CheckpointTuple | None
             ) -> tuple[str, dict[str, Any]] | None:
    """The pending approval of a saved checkpoint. Only a checkpoint holding an interrupt write is looked at
    closely (``get_state`` decides which interrupts are still open); any other answers None at no cost."""
    if saved is None or not any(write[1] == INTERRUPT for write in saved.pending_writes or ()):
        return None
    return _approval(graph.get_state(config).interrupts)


def pending_interrupt(graph: CompiledStateGraph, thread_id: str) -> tuple[str, dict[str, Any]] | None:
    """(interrupt id, approval request JSON) when the thread waits for a decision, else None."""
    config = _config(thread_id)
    return _waiting(graph, config, _saved(graph, config))


def _run(graph: CompiledStateGraph, payload: Any, thread_id: str, context: GraphContext, before: int,
         modes: tuple[str, ...]) -> Iterator[TurnEvent]:
    """Stream one run; ``before`` is how many messages of the final state are older than this turn."""
    config = _config(thread_id)
    route: list[str] = []
    values: dict[str, Any] | None = None
    waiting: tuple[str, dict[str, Any]] | None = None
    for mode, chunk in graph.stream(payload, config, context=context, stream_mode=list(modes)):
        if mode == "values":
            values = chunk
        elif mode == "updates":
            for node, update in chunk.items():
                if node == INTERRUPT:
                    waiting = waiting or _approval(update)
                else:
                    route.append(node)
                    yield StepEvent(node)
        elif mode == "custom" and isinstance(chunk, dict):
            if chunk.get("type") == "tool_call":
                yield ToolCallEvent(chunk["agent"], chunk["name"], dict(chunk.get("args") or {}))
            elif chunk.get("type") == "tool_result":
                yield ToolResultEvent(chunk["agent"], chunk["name"], bool(chunk.get("ok")), chunk.get("content"))
        elif mode == "messages":
            message, meta = chunk
            if isinstance(message, AIMessageChunk) and isinstance(message.content, str) and message.content:
                yield TokenEvent(str(meta.get("langgraph_node", "")), message.content)
    if values is None:  # nothing ran (no step finished): the saved state is the answer
        values = graph.get_state(config).values
    failure = values.get("model_error")
    if failure and values.get("stop_reason") == "model_error":  # stored as a finished turn: the thread goes on
        raise model_error(failure)
    if waiting is not None:
        yield InterruptEvent(waiting[1])
    yield FinalEvent(_result(thread_id, values, before, route, waiting, context))


def _result(thread_id: str, values: dict[str, Any], before: int, route: list[str],
            waiting: tuple[str, dict[str, Any]] | None, context: GraphContext) -> TurnResult:
    new = values.get("messages", [])[before:]
    ai = [m for m in new if isinstance(m, AIMessage)]
    answers = [m for m in ai if not m.tool_calls and m.content]
    pending = None if waiting is None else {"id": waiting[1]["id"], "kind": waiting[1]["kind"]}
    answer = str(answers[-1].content) if answers else ""
    if waiting is not None and not answer:  # the turn only waits: its answer is the approval card
        answer = approval_card(waiting[1]).text()
    usage = turn_usage(values, context)
    calls = [{"name": c["name"], "args": c["args"]} for m in ai for c in m.tool_calls]
    return TurnResult(thread_id, answer, calls, route, pending, usage, values.get("stop_reason"),
                      values.get("refusal"), list(values.get("ungrounded_numbers") or []),
                      list(values.get("untrusted_flags") or []))


def stream_turn(
    graph: CompiledStateGraph,
    thread_id: str,
    user: UserRef,
    text: str,
    *,
    context: GraphContext | None = None,
    threads: ThreadIndex | None = None,
    max_tool_calls: int | None = None,
    max_usd: float | None = None,
    window: StateWindow | None = STATE_WINDOW,
    tokens: bool = True,
) -> Iterator[TurnEvent]:
    """Run one user message on ``thread_id``; events as they happen, ``FinalEvent`` last (``tokens=False``: no
    ``TokenEvent``, and the model is asked for whole replies rather than streams).

    While the thread waits for an approval, a question that changes nothing is answered beside it
    (``graph.side_turn``); anything that would change state is refused (ApprovalError) until the approval is
    decided, so a decision can never land on a thread that moved on. Older turns beyond
    ``window`` leave the state for the thread's transcript store first (None: the state keeps them all).
    ``max_tool_calls`` / ``max_usd`` default to the context's ``limits`` (the token cap always comes from there).
    A model-server failure is raised as ``ModelServerError`` once the turn's state is stored.
    """
    return _turn(graph, thread_id, user, text, context, threads, max_tool_calls, max_usd, window,
                 _EVENT_MODES if tokens else _STEP_MODES)


def _turn(graph: CompiledStateGraph, thread_id: str, user: UserRef, text: str, context: GraphContext | None,
          threads: ThreadIndex | None, max_tool_calls: int | None, max_usd: float | None, window: StateWindow | None,
          modes: tuple[str, ...]) -> Iterator[TurnEvent]:
    _check_message(text)
    context = context or GraphContext()
    limits = context.limits
    config = _config(thread_id)
    saved = _saved(graph, config)  # the only read before the run: is it waiting, and what does it hold
    waiting = _waiting(graph, config, saved)
    budget = new_budget(limits.max_tool_calls if max_tool_calls is None else max_tool_calls,
                        limits.max_usd if max_usd is None else max_usd, limits.max_tokens)
    if waiting is not None:  # a question that changes nothing is answered beside the waiting turn
        side = side_turn(graph, thread_id, user, redact(text), saved, waiting[1], budget)
        if threads is not None:
            threads.touch(thread_id, user["id"], redact(text))
        yield from _beside(graph, side, context, modes)
        return
    text = redact(text)  # secrets never reach the checkpoint, the thread index or a model
    if threads is not None:
        threads.touch(thread_id, user["id"], text)
    history = list((saved.checkpoint.get("channel_values") or {}).get("messages", [])) if saved else []
    messages: list[BaseMessage] = [HumanMessage(content=text)]
    before = len(history)
    compaction = _compact(graph, thread_id, history, window)
    if compaction is not None:  # older turns leave the state in this turn's input write (no extra checkpoint)
        messages = [*(RemoveMessage(id=str(m.id)) for m in compaction.archived), compaction.summary, *messages]
        before += 1 - len(compaction.archived) - sum(m.id == SUMMARY_ID for m in history)
    payload = {
        "messages": messages, "user": user, "budget": budget, "turn_id": f"turn_{uuid.uuid4().hex[:20]}",
        "hops": 0, "next_agent": None, "stop_reason": None, "refusal": None, "ungrounded_numbers": [],
        "untrusted_flags": None, "recollections": [], "preplanned": False, "model_error": None,
    }
    yield from _run(graph, payload, thread_id, context, before, modes)


def _beside(graph: CompiledStateGraph, side: SideTurn, context: GraphContext, modes: tuple[str, ...]
            ) -> Iterator[TurnEvent]:
    """Run a read-only side turn; its final result names the waiting thread and its pending approval."""
    try:
        for event in _run(graph, side.payload, side.thread_id, context, side.before, modes):
            yield FinalEvent(side.result(event.result)) if isinstance(event, FinalEvent) else event
    finally:
        side.forget(graph)


def _check_message(text: str) -> None:
    """Refuse, before anything is stored, a message with no text or longer than ``MAX_MESSAGE_CHARS``."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("the message is empty: write a request, e.g. \"backtest an SMA crossover on AAPL\"",
                          code=MESSAGE_REFUSED, details={"field": "message"})
    if len(text) > MAX_MESSAGE_CHARS:
        raise ConfigError(f"the message has {len(text):,} characters; at most {MAX_MESSAGE_CHARS:,} are accepted",
                          code=MESSAGE_REFUSED, details={"field": "message", "length": len(text)})


def _compact(graph: CompiledStateGraph, thread_id: str, history: list[BaseMessage], window: StateWindow | None
             ) -> Compaction | None:
    """Archive the turns the state should no longer hold (stored before the state forgets them; a retry stores
    nothing twice), or None when the state is within ``window`` or its checkpointer has no transcript store."""
    store = transcripts_for(graph.checkpointer) if window is not None else None
    compaction = compact(history, window) if store is not None and window is not None else None
    if compaction is not None and store is not None:
        store.append(thread_id, compaction.first_position, archive_records(compaction.archived))
    return compaction


def run_turn(graph: CompiledStateGraph, thread_id: str, user: UserRef, text: str, *,
             context: GraphContext | None = None, threads: ThreadIndex | None = None,
             max_tool_calls: int | None = None, max_usd: float | None = None,
             window: StateWindow | None = STATE_WINDOW) -> TurnResult:
    """One user message run to its end (as ``stream_turn``, without token and tool events); the ``TurnResult``."""
    return _final(_turn(graph, thread_id, user, text, context, threads, max_tool_calls, max_usd, window,
                        _RESULT_MODES))


def resume_turn(graph: CompiledStateGraph, thread_id: str, decision: dict[str, Any], *,
                context: GraphContext | None = None) -> TurnResult:
    """Answer the thread's pending interrupt with ``decision`` and run the turn on to its end."""
    config = _config(thread_id)
    if not isinstance(graph.checkpointer, BaseCheckpointSaver):
        raise ValueError("running a turn needs a graph compiled with a checkpointer")
    snapshot = graph.get_state(config)  # the only read: which interrupt, and how many messages came before
    waiting = _approval(snapshot.interrupts)
    if waiting is None:
        raise ApprovalError(f"thread {thread_id} is not waiting for a decision", code="not_waiting")
    before = len(snapshot.values.get("messages", []))
    return _final(_run(graph, Command(resume={waiting[0]: decision}), thread_id, context or GraphContext(), before,
                       _RESULT_MODES))


def _final(events: Iterator[TurnEvent]) -> TurnResult:
    result = None
    for event in events:
        if isinstance(event, FinalEvent):
            result = event.result
    assert result is not None
    return result


class ChatSession:
    """One user's conversation on one thread (a new thread id unless given)."""

    def __init__(self, graph: CompiledStateGraph, user: UserRef, *, thread_id: str | None = None,
                 context: GraphContext | None = None, threads: ThreadIndex | None = None):
        self.graph, self.user, self.context, self.threads = graph, user, context or GraphContext(), threads
        self.thread_id = thread_id or f"thr_{uuid.uuid4().hex[:16]}"

    def stream(self, text: str, **kwargs: Any) -> Iterator[TurnEvent]:
        return stream_turn(self.graph, self.thread_id, self.user, text, context=self.context, threads=self.threads,
                           **kwargs)

    def send(self, text: str, **kwargs: Any) -> TurnResult:
        return run_turn(self.graph, self.thread_id, self.user, text, context=self.context, threads=self.threads,
                        **kwargs)

    def pending_approval(self) -> dict[str, Any] | None:
        waiting = pending_interrupt(self.graph, self.thread_id)
        return None if waiting is None else waiting[1]
