"""The agent endpoint: ``/api/v1/threads`` — threads, turns (JSON or Server-Sent Events), interrupts.

A thread belongs to the user who started it (``services.threads``): only they read it, run turns on it or
answer what it waits for; to anyone else it does not exist (404), whatever their role. Approvers decide
what threads wait for through ``/api/v1/approvals``. Every turn goes through ``graph.runner``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, replace
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import StreamingResponse

from api.deps import CurrentUser
from api.routers.runtime import AgentRuntime, AgentRuntimeDep, events_from_thread, user_ref
from api.schemas.agent import (
    THREAD_ID,
    InterruptAnswer,
    RunRequest,
    ThreadCreate,
    ThreadHistoryPublic,
    ThreadListPublic,
    ThreadPublic,
    ThreadStatePublic,
    TurnPublic,
)
from api.schemas.approvals import ApprovalOutcomePublic
from api.schemas.errors import error_responses
from errors import ApprovalError, QuantpilotError
from guardrails.policy import Channel
from guardrails.redaction import redact
from memory.threads import OwnedThread
from memory.users import ApiUser
from services.quotas import TurnLease
from services.threads import ThreadService
from services.users import actor_of

log = logging.getLogger("quantpilot.api.agent")
router = APIRouter(prefix="/api/v1", tags=["agent"], responses=error_responses(401, 403, 429))
ThreadId = Annotated[str, Path(pattern=THREAD_ID, description="thread id, e.g. thr_4f1c2a9b0d3e5f67")]


def new_thread_id() -> str:
    return f"thr_{uuid.uuid4().hex[:16]}"


def threads_of(runtime: AgentRuntime) -> ThreadService:
    return ThreadService(runtime.threads)


def writable_thread(runtime: AgentRuntime, thread_id: str, user: ApiUser) -> OwnedThread:
    """``user``'s thread ``thread_id`` ready for a turn. While it waits for a decision the runner answers
    questions that change nothing beside the waiting turn and refuses the rest (409 ``approval_pending``)."""
    return threads_of(runtime).for_turn(user, thread_id)


def run_turn_for(runtime: AgentRuntime, thread_id: str, user: ApiUser, message: str, max_tool_calls: int = 12):
    """One turn for ``user`` on their thread ``thread_id`` (shared with the OpenAI-compatible endpoint); the
    result names the thread as the user does."""
    from graph.runner import run_turn

    thread = writable_thread(runtime, thread_id, user)
    with _turn_lease(runtime, user):
        result = run_turn(runtime.graph, thread.key, user_ref(user), message, context=runtime.context,
                          threads=thread, max_tool_calls=max_tool_calls)
    return replace(result, thread_id=thread_id)


def _turn_lease(runtime: AgentRuntime, user: ApiUser) -> TurnLease:
    """One of ``user``'s running-turn places (``services.quotas``); 429 when they hold them all."""
    if runtime.quotas is None:
        return TurnLease(None, None)
    return runtime.quotas.start_turn(actor_of(user, Channel.API))


def stream_turn_for(runtime: AgentRuntime, thread_id: str, user: ApiUser, message: str, max_tool_calls: int = 12
                    ) -> AsyncIterator[Any]:
    """The turn's events (``graph.runner`` event dataclasses; an exception last if it failed)."""
    from graph.runner import FinalEvent, stream_turn

    thread = writable_thread(runtime, thread_id, user)
    lease = _turn_lease(runtime, user)  # taken now: over the quota is a 429 before the stream starts

    def events() -> Iterator[Any]:
        try:
            for event in stream_turn(runtime.graph, thread.key, user_ref(user), message, context=runtime.context,
                                     threads=thread, max_tool_calls=max_tool_calls):
                yield FinalEvent(replace(event.result, thread_id=thread_id)) if isinstance(event, FinalEvent) \
                    else event
        finally:
            lease.end()

    return events_from_thread(events)


def event_json(event: Any) -> tuple[str, dict[str, Any]]:
    """(SSE event name, JSON payload) of a runner event or a failure."""
    if isinstance(event, QuantpilotError):
        return "error", {"code": event.code, "message": redact(event.message)}
    if isinstance(event, Exception):
        log.error("turn failed while streaming", exc_info=event)
        return "error", {"code": "internal_error", "message": "internal error; it has been logged"}
    if event.kind == "final":
        return "final", event.result.to_dict()
    data = asdict(event)
    data.pop("kind", None)
    return event.kind, data


def sse(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, default=str, allow_nan=False)}\n\n"


async def sse_stream(events: AsyncIterator[Any]) -> AsyncIterator[str]:
    async for event in events:
        name, data = event_json(event)
        yield sse(name, data)


@router.post("/threads", response_model=ThreadPublic, status_code=201, responses=error_responses(409, 422),
             summary="Start a thread (viewer)")
def create_thread(user: CurrentUser, runtime: AgentRuntimeDep, body: ThreadCreate) -> ThreadPublic:
    record = threads_of(runtime).create(user, body.thread_id or new_thread_id(), body.title)
    return ThreadPublic.model_validate(asdict(record))


@router.get("/threads", response_model=ThreadListPublic, summary="Your threads, most recently active first (viewer)")
def list_threads(user: CurrentUser, runtime: AgentRuntimeDep,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> ThreadListPublic:
    records = threads_of(runtime).list(user, limit)
    return ThreadListPublic(count=len(records), threads=[ThreadPublic.model_validate(asdict(r)) for r in records])


@router.get("/threads/{thread_id}", response_model=ThreadStatePublic, responses=error_responses(404, 422),
            summary="One of your threads: route, message count, the approval it waits for (viewer)")
def get_thread(user: CurrentUser, runtime: AgentRuntimeDep, thread_id: ThreadId) -> ThreadStatePublic:
    from graph.transcript import thread_transcript

    record = threads_of(runtime).get(user, thread_id)
    data = thread_transcript(runtime.graph.checkpointer, record.key)
    return ThreadStatePublic(**asdict(record), message_count=len(data["messages"]), route=data["route"],
                             pending_approval=data["pending_approval"], active_strategy=data["active_strategy"])


@router.get("/threads/{thread_id}/history", response_model=ThreadHistoryPublic, responses=error_responses(404, 422),
            summary="One of your threads' messages, oldest first (viewer)")
def get_history(user: CurrentUser, runtime: AgentRuntimeDep, thread_id: ThreadId) -> ThreadHistoryPublic:
    from graph.transcript import thread_transcript

    record = threads_of(runtime).get(user, thread_id)
    messages = thread_transcript(runtime.graph.checkpointer, record.key)["messages"]
    return ThreadHistoryPublic(thread_id=thread_id, count=len(messages), messages=messages)


@router.post("/threads/{thread_id}/runs", response_model=TurnPublic, responses=error_responses(404, 409, 422),
             summary="Run one turn to its end: answer, tool calls, pending approval (viewer; tools need their role)")
def run(user: CurrentUser, runtime: AgentRuntimeDep, thread_id: ThreadId, body: RunRequest) -> TurnPublic:
    result = run_turn_for(runtime, thread_id, user, body.message, body.max_tool_calls)
    return TurnPublic.model_validate(result.to_dict())


@router.post("/threads/{thread_id}/runs/stream", response_model=TurnPublic, responses={
    200: {"content": {"text/event-stream": {"example": 'event: tool_call\ndata: {"agent": "strategy", ...}\n\n'}},
          "description": "Server-Sent Events: step, tool_call, tool_result, token, interrupt, final (or error); "
                         "with `Accept: application/json` only, the final turn as JSON"},
    **error_responses(404, 409, 422)}, summary="Run one turn as Server-Sent Events (viewer; tools need their role)")
def run_stream(user: CurrentUser, runtime: AgentRuntimeDep, thread_id: ThreadId, body: RunRequest,
               accept: Annotated[str | None, Header()] = None):
    if accept and "application/json" in accept and "text/event-stream" not in accept:
        return run(user, runtime, thread_id, body)
    events = stream_turn_for(runtime, thread_id, user, body.message, body.max_tool_calls)
    return StreamingResponse(sse_stream(events), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/threads/{thread_id}/interrupt", response_model=ApprovalOutcomePublic,
             responses=error_responses(404, 409, 422),
             summary="Answer the approval one of your threads waits for; the thread resumes (approver, never "
                     "one's own request)")
def answer_interrupt(user: CurrentUser, runtime: AgentRuntimeDep, thread_id: ThreadId,
                     body: InterruptAnswer) -> ApprovalOutcomePublic:
    from graph.runner import pending_interrupt

    record = threads_of(runtime).get(user, thread_id)
    waiting = pending_interrupt(runtime.graph, record.key)
    if waiting is None:
        raise ApprovalError(f"thread {thread_id} is not waiting for a decision", code="not_waiting")
    service, approval_id, actor = runtime.approvals(), waiting[1]["id"], actor_of(user, Channel.API)
    if body.verdict == "approve":
        outcome = service.approve(actor, approval_id, body.comment)
    else:
        outcome = service.reject(actor, approval_id, body.comment or "")
    answer = outcome.to_dict()
    if answer.get("turn"):
        answer["turn"]["thread_id"] = thread_id  # as the owner calls it, not the checkpointer's key
    return ApprovalOutcomePublic.model_validate(answer)
