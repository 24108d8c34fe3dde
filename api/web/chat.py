"""The web chat's engine: one product graph per app, turns streamed as Server-Sent Events.

``WebChat`` holds the compiled graph (Postgres checkpointer), its ``GraphContext`` (channel "web")
and the thread index; ``ApprovalService`` decisions go through the same graph so a waiting thread
resumes. A turn runs ``graph.runner.stream_turn`` on its own thread; its events cross to the
event loop through an ``asyncio.Queue`` and leave as ``event: <kind>`` / ``data: <json>`` frames.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from errors import ApprovalError, QuantpilotError

log = logging.getLogger("quantpilot.web")
THREAD_ID = re.compile(r"^thr_[A-Za-z0-9_-]{4,60}$")
_DONE = object()


@dataclass(frozen=True)
class WebChat:
    """The graph, its run context and the thread index the web pages use."""

    graph: Any  # langgraph CompiledStateGraph
    context: Any  # graph.context.GraphContext
    threads: Any  # memory.threads.ThreadStore

    @classmethod
    def from_settings(cls, database, graph=None) -> WebChat:
        """The product graph on ``database`` (``graph`` when the API already built one; the checkpointer is
        shared either way) with a context whose channel is "web"."""
        from config import get_settings
        from graph.wiring import product_context, product_graph
        from memory.threads import ThreadStore

        settings = get_settings()
        return cls(graph if graph is not None else product_graph(settings, database),
                   product_context(settings, database, channel="web"), ThreadStore(database))

    def approval_service(self):
        from graph.approval_resume import approval_service

        return approval_service(self.context, self.graph)

    def new_thread_id(self) -> str:
        return f"thr_web_{uuid.uuid4().hex[:16]}"

    def thread(self, user, thread_id: str):
        """``user``'s thread ``thread_id`` as a turn runs it (``services.threads``: another user's id names a
        thread of this user's own)."""
        from services.threads import ThreadService

        return ThreadService(self.threads).for_turn(user, thread_id)

    def existing(self, user, thread_id: str):
        """``user``'s thread ``thread_id`` if they have one, else None."""
        from services.threads import ThreadService

        return ThreadService(self.threads).find(user, thread_id)

    def turn(self, thread, user, text: str) -> Iterator[Any]:
        """One turn of ``user`` (``memory.users.ApiUser``) on their ``thread`` (``memory.threads.OwnedThread``)."""
        from graph.runner import stream_turn

        person = {"id": user.name, "role": user.role.value, "user_id": user.id}
        return stream_turn(self.graph, thread.key, person, text, context=self.context, threads=thread)


_lock = threading.Lock()


def web_chat(app) -> WebChat:
    """The app's ``WebChat`` (tests set ``app.state.web_chat``); built on first use otherwise, reusing the
    graph of the API's agent runtime (``api.routers.runtime``) when that was built already."""
    chat = getattr(app.state, "web_chat", None)
    if chat is None:
        with _lock:
            chat = getattr(app.state, "web_chat", None)
            if chat is None:
                runtime = getattr(app.state, "agent_runtime", None)
                chat = app.state.web_chat = WebChat.from_settings(app.state.database,
                                                                  getattr(runtime, "graph", None))
    return chat


def sse(kind: str, data: dict[str, Any]) -> str:
    """One SSE frame; JSON never contains a raw newline, so one ``data:`` line suffices."""
    return f"event: {kind}\ndata: {json.dumps(data, default=str)}\n\n"


async def stream_events(events: Callable[[], Iterator[Any]], render: Callable[[Any], tuple[str, dict]]
                        ) -> AsyncIterator[str]:
    """Run ``events()`` on a worker thread; yield each event as an SSE frame (``render`` -> kind, data).

    A refusal (``QuantpilotError``, e.g. a thread waiting for an approval) becomes an ``error`` frame
    with its message; anything else is logged and reported without details. ``done`` closes the stream.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()

    def produce() -> None:
        def put(item: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        try:
            for event in events():
                put(event)
        except ApprovalError as exc:
            put(("error", {"message": str(exc), "code": exc.code if hasattr(exc, "code") else None}))
        except QuantpilotError as exc:
            put(("error", {"message": str(exc)}))
        except Exception:  # noqa: BLE001 - the page gets a generic message; the log gets the traceback
            log.exception("web chat turn failed")
            put(("error", {"message": "internal error while running the turn; it has been logged"}))
        finally:
            put(_DONE)

    threading.Thread(target=produce, name="web-chat-turn", daemon=True).start()
    while True:
        item = await queue.get()
        if item is _DONE:
            yield sse("done", {})
            return
        if isinstance(item, tuple):
            yield sse(*item)
            continue
        kind, data = render(item)
        yield sse(kind, data)
