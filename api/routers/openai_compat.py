"""``POST /v1/chat/completions``: OpenAI-compatible chat in front of the agent graph (model "quantpilot").

The last user message runs one turn. The thread is the ``X-Quantpilot-Thread`` header if given, else
one derived from the request's ``user`` field (the same ``user`` continues the same thread), else a new
one; the answer names it in ``X-Quantpilot-Thread``. Thread ids are the caller's own (``services.threads``):
another API user sending the same header or ``user`` reaches a thread of their own, never the caller's.
Earlier messages in the request are not replayed: the thread's checkpoint is the conversation. When the
turn waits for a human decision, the assistant message says what is awaited and where to answer it; while it
waits, questions that change nothing are answered and a change is refused in the assistant's words.
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

from agents.answers.approvals import approve_command
from api.deps import CurrentUser
from api.routers.agent import event_json, new_thread_id, run_turn_for, stream_turn_for
from api.routers.runtime import AgentRuntimeDep
from api.schemas.agent import THREAD_ID
from api.schemas.errors import error_responses
from api.schemas.openai_compat import MODEL, ChatCompletion, ChatCompletionRequest, ModelListPublic, ModelPublic
from errors import ApprovalError, ConfigError, NotFoundError
from graph.side_turn import APPROVAL_PENDING
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


def where_to_decide(approval_id: str) -> str:
    """Every place an approver (not the requester) answers ``approval_id``."""
    return (f"An approver other than the requester answers it with `{approve_command(approval_id)}` in a terminal "
            f"signed in as that approver (or `quantpilot approvals reject {approval_id} --comment WHY`), "
            f"API `POST /api/v1/approvals/{approval_id}/approve` (or `/reject` with a comment), "
            f"or the web page /web/approvals. The thread continues once it is decided.")


def awaiting(approval: dict[str, Any]) -> str:
    """What the thread waits for and every place to answer it."""
    aid, kind = approval["id"], approval.get("kind", "approval")
    return f"Waiting for a human decision on approval {aid} ({kind}). {where_to_decide(aid)}"


def refusal_text(error: ApprovalError) -> str:
    """A change asked for while the thread waits: the refusal and where the awaited approval is decided."""
    approval_id = (error.details or {}).get("approval_id")
    return f"{error.message} {where_to_decide(approval_id)}" if approval_id else error.message


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


async def chunks(events: AsyncIterator[Any]) -> AsyncIterator[str]:
    """Role first, then the answer (or the failure) as content, a stop chunk, and ``data: [DONE]``."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    yield chunk(cid, created, {"role": "assistant", "content": ""})
    content = ""
    async for event in events:
        name, data = event_json(event)
        if name == "final":
            content = answer_text(data)
        elif name == "error" and isinstance(event, ApprovalError) and event.code == APPROVAL_PENDING:
            content = refusal_text(event)
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
    if body.stream:
        return StreamingResponse(chunks(stream_turn_for(runtime, thread_id, user, text)),
                                 media_type="text/event-stream", headers={**headers, "Cache-Control": "no-store"})
    try:
        result = run_turn_for(runtime, thread_id, user, text).to_dict()
    except ApprovalError as refused:  # a change while the thread waits: said as the assistant's answer
        if refused.code != APPROVAL_PENDING:
            raise
        return JSONResponse(completion(thread_id, refusal_text(refused), {}), headers=headers)
    return JSONResponse(completion(thread_id, answer_text(result), result["usage"]), headers=headers)


@router.get("/models", response_model=ModelListPublic, summary="The one model served: quantpilot (viewer)")
def models(user: CurrentUser) -> ModelListPublic:
    return ModelListPublic(data=[ModelPublic()])
