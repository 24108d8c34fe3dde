"""The chat panel: ``GET /web/chat`` (the page, a thread's earlier messages) and ``POST /web/chat/stream``
(one turn, answered as ``text/event-stream``).

The stream is a POST (it runs tools and may request an approval), so it carries the CSRF token and
is read by ``static/chat.js`` with ``fetch`` rather than ``EventSource`` (GET only). Frames:

- ``thread`` ``{thread_id}`` first; ``step`` ``{node}``; ``tool_call``/``tool_result`` ``{html}``;
  ``token`` ``{node, text}`` (models that stream); ``approval`` ``{html}`` (a card with Approve/Reject);
- ``final`` ``{html, answer, pending_approval}``; ``error`` ``{message}``; ``done`` last.

HTML in frames is rendered here from templates (autoescaped), so the script only inserts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from api.web.chat import THREAD_ID, stream_events, web_chat
from api.web.rendering import WebRoute, render, templates
from api.web.session import SessionDep, WebError, check_csrf
from guardrails.policy import Channel, Role
from services.quotas import TurnLease, UsageQuotas
from services.users import actor_of

router = APIRouter(route_class=WebRoute)
MAX_MESSAGE_CHARS = 4000


@router.get("/chat")
async def chat_page(request: Request, session: SessionDep, thread: str | None = None) -> Response:
    """The chat panel; ``?thread=`` reopens one of the user's threads with its messages (anyone else's id
    opens a new thread: threads are private)."""
    chat = await run_in_threadpool(web_chat, request.app)
    threads = await run_in_threadpool(lambda: chat.threads.list(owner_id=session.user.id, limit=20))
    history: list[dict[str, Any]] = []
    pending = None
    record = None
    if thread and THREAD_ID.match(thread):
        record = await run_in_threadpool(chat.existing, session.user, thread)
    if record is not None:
        history, pending = await run_in_threadpool(_history, chat, record.key)
    else:
        thread = None
    return render(request, "chat.html", session, page="chat", threads=threads, thread_id=thread or "",
                  history=history, pending=pending, can_chat=session.allows(Role.TRADER))


def _history(chat, key: str) -> tuple[list[dict[str, Any]], dict | None]:
    from langchain_core.messages import AIMessage, HumanMessage

    from graph.runner import pending_interrupt
    from graph.transcript import thread_messages

    shown = []
    for message in thread_messages(chat.graph.checkpointer, key):  # archived turns too
        if isinstance(message, HumanMessage):
            shown.append({"who": "you", "text": str(message.content)})
        elif isinstance(message, AIMessage) and message.content and not message.tool_calls:
            shown.append({"who": "quantpilot", "text": str(message.content)})
    waiting = pending_interrupt(chat.graph, key)
    return shown, (waiting[1] if waiting else None)


def _fragment(request: Request, session, name: str, **context: Any) -> str:
    return templates.get_template(name).render({"request": request, "session": session, **context})


@router.post("/chat/stream")
async def chat_stream(request: Request, session: SessionDep) -> Response:
    form = await check_csrf(request, session)
    text = str(form.get("message") or "").strip()
    if not text:
        raise WebError(400, "type a message first")
    if len(text) > MAX_MESSAGE_CHARS:
        raise WebError(400, f"a message may have at most {MAX_MESSAGE_CHARS} characters")
    chat = await run_in_threadpool(web_chat, request.app)
    thread_id = str(form.get("thread_id") or "") or chat.new_thread_id()
    if not THREAD_ID.match(thread_id):
        raise WebError(400, "malformed thread id")
    user = session.user
    thread = await run_in_threadpool(chat.thread, user, thread_id)
    quotas = UsageQuotas(request.app.state.database, getattr(request.app.state, "settings", None))
    lease = await run_in_threadpool(quotas.start_turn, actor_of(user, Channel.WEB))  # 429 before the stream

    def render_event(event: Any) -> tuple[str, dict[str, Any]]:
        kind = event.kind
        if kind == "step":
            return "step", {"node": event.node}
        if kind == "token":
            return "token", {"node": event.node, "text": event.text}
        if kind in ("tool_call", "tool_result"):
            return kind, {"html": _fragment(request, session, "_chat_tool.html", event=event)}
        if kind == "interrupt":
            return "approval", {"html": _fragment(request, session, "_approval_card.html", approval=event.approval,
                                                  in_chat=True)}
        result = event.result
        return "final", {"html": _fragment(request, session, "_chat_answer.html", result=result),
                         "answer": result.answer, "pending_approval": result.pending_approval}

    async def frames():
        from api.web.chat import sse

        yield sse("thread", {"thread_id": thread_id})
        async for frame in stream_events(lambda: _leased(lease, chat.turn(thread, user, text)), render_event):
            yield frame

    return StreamingResponse(frames(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _leased(lease: TurnLease, events: Iterator[Any]) -> Iterator[Any]:
    """The turn's events; its running-turn place is freed when the turn ends, however it ends."""
    with lease:
        yield from events
