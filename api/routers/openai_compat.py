"""``POST /v1/chat/completions``: OpenAI-compatible chat in front of the agent graph (model "quantpilot").

The last user message runs one turn. The thread is the ``X-Quantpilot-Thread`` header if given, else
one derived from the request's ``user`` field (the same ``user`` continues the same thread), else a new
one; the answer names it in ``X-Quantpilot-Thread``. Thread ids are the caller's own (``services.threads``):
another API user sending the same header or ``user`` reaches a thread of their own, never the caller's.
Earlier messages in the request are not replayed: the thread's checkpoint is the conversation. When the
turn (or the thread) waits for a human decision, the assistant message says what is awaited and where to
answer it.
Auth is the same API key (``Authorization: Bearer``), role trader.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, StreamingResponse

from api.deps import CurrentUser
from api.routers.agent import event_json, new_thread_id, run_turn_for, stream_turn_for, threads_of
from api.routers.runtime import AgentRuntime, AgentRuntimeDep
from api.schemas.agent import THREAD_ID
from api.schemas.errors import error_responses
from api.schemas.openai_compat import MODEL, ChatCompletion, ChatCompletionRequest, ModelListPublic, ModelPublic
from errors import ConfigError, NotFoundError
from memory.users import ApiUser

router = APIRouter(prefix="/v1", tags=["openai-compatible"], responses=error_responses(401, 403, 429))
THREAD_HEADER = "X-Quantpilot-Thread"


def thread_for(user: ApiUser, header: str | None, partner: str | None) -> str:
    """The header's thread, or one per (API user id, ``user`` field), or a new one."""
    if header:
        return header
    if partner:
        return "oai_" + hashlib.sha256(f"{user.id}\x00{partner}".encode()).hexdigest()[:20]
    return new_thread_id()


def last_user_text(body: ChatCompletionRequest) -> str:
    if body.model != MODEL:
        raise NotFoundError(f"unknown model {body.model!r}; this server serves {MODEL!r}", code="model_not_found")
    for message in reversed(body.messages):
        if message.role == "user" and message.text().strip():
            return message.text()
    raise ConfigError("no user message with text in `messages`", details={"field": "messages"})


def awaiting(approval: dict[str, Any]) -> str:
    """What the thread waits for and every place to answer it."""
    aid, kind = approval["id"], approval.get("kind", "approval")
    return (f"Waiting for a human decision on approval {aid} ({kind}). An approver answers it with "
            f"CLI `quantpilot approvals approve {aid} --as NAME` (or `reject {aid} --as NAME --comment WHY`), "
            f"API `POST /api/v1/approvals/{aid}/approve` (or `/reject` with a comment), "
            f"or the web page /web/approvals. The thread continues once it is decided.")


def waiting_approval(runtime: AgentRuntime, thread_id: str, user: ApiUser) -> dict[str, Any] | None:
    """What ``user``'s thread ``thread_id`` waits for, if anything."""
    from graph.runner import pending_interrupt

    waiting = pending_interrupt(runtime.graph, threads_of(runtime).for_turn(user, thread_id).key)
    return None if waiting is None else waiting[1]


def answer_text(result: dict[str, Any]) -> str:
    pending = result.get("pending_approval")
    if not pending:
        return result["answer"]
    note = awaiting(pending)
    return note if result["answer"].startswith("Waiting for a human decision") else f"{result['answer']}\n\n{note}"


def completion(thread_id: str, content: str, usage: dict[str, Any]) -> dict[str, Any]:
    prompt, out = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    return ChatCompletion(id=f"chatcmpl-{uuid.uuid4().hex[:24]}", created=int(time.time()), thread_id=thread_id,
                          choices=[{"index": 0, "message": {"role": "assistant", "content": content},
                                    "finish_reason": "stop"}],
                          usage={"prompt_tokens": prompt, "completion_tokens": out,
                                 "total_tokens": prompt + out}).model_dump()


def chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None) -> str:
    data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(data, default=str)}\n\n"


async def chunks(events: AsyncIterator[Any] | None, fixed: str | None) -> AsyncIterator[str]:
    """Role first, then the answer (or the failure) as content, a stop chunk, and ``data: [DONE]``."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    yield chunk(cid, created, {"role": "assistant", "content": ""})
    content = fixed or ""
    if events is not None:
        async for event in events:
            name, data = event_json(event)
            if name == "final":
                content = answer_text(data)
            elif name == "error":
                content = f"error ({data['code']}): {data['message']}"
    yield chunk(cid, created, {"content": content})
    yield chunk(cid, created, {}, "stop")
    yield "data: [DONE]\n\n"


@router.post("/chat/completions", response_model=ChatCompletion, responses={
    200: {"content": {"text/event-stream": {}}, "description": "with stream=true: chat.completion.chunk events"},
    **error_responses(400, 404, 422)},
    summary="OpenAI-compatible chat: one agent turn (viewer; each tool call needs its own role)")
def chat_completions(user: CurrentUser, runtime: AgentRuntimeDep, body: ChatCompletionRequest,
                     thread: Annotated[str | None, Header(alias=THREAD_HEADER, pattern=THREAD_ID)] = None):
    text = last_user_text(body)
    thread_id = thread_for(user, thread, body.user)
    headers = {THREAD_HEADER: thread_id}
    pending = waiting_approval(runtime, thread_id, user)
    if body.stream:
        events = None if pending else stream_turn_for(runtime, thread_id, user, text)
        return StreamingResponse(chunks(events, awaiting(pending) if pending else None),
                                 media_type="text/event-stream", headers={**headers, "Cache-Control": "no-store"})
    if pending:
        return JSONResponse(completion(thread_id, awaiting(pending), {}), headers=headers)
    result = run_turn_for(runtime, thread_id, user, text).to_dict()
    return JSONResponse(completion(thread_id, answer_text(result), result["usage"]), headers=headers)


@router.get("/models", response_model=ModelListPublic, summary="The one model served: quantpilot (viewer)")
def models(user: CurrentUser) -> ModelListPublic:
    return ModelListPublic(data=[ModelPublic()])
