"""A thread's whole history, as messages or as JSON-ready dicts (for ``threads show``, the API, the web chat).

The checkpointed state holds only a thread's recent turns (``graph.history.StateWindow``); older
messages live in the transcript store beside the checkpointer (``memory.checkpoint.transcripts_for``).
Readers get both, oldest first, without the state's summary message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage, message_to_dict, messages_from_dict
from langgraph.checkpoint.base import BaseCheckpointSaver

from graph.history import SUMMARY_ID
from memory.checkpoint import transcripts_for


def message_json(message: BaseMessage) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.type, "content": message.content}
    if message.name:
        data["name"] = message.name
    if isinstance(message, AIMessage) and message.tool_calls:
        data["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
    if isinstance(message, ToolMessage):
        data["status"] = message.status
    return data


def archive_records(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """``messages`` as the transcript store keeps them: ``{id, type, data}``, plain JSON."""
    return [{"id": m.id, **json.loads(json.dumps(message_to_dict(m), default=str))} for m in messages]


def _values(checkpointer: BaseCheckpointSaver, thread_id: str) -> dict[str, Any]:
    saved = checkpointer.get_tuple({"configurable": {"thread_id": thread_id}})
    return {} if saved is None else saved.checkpoint.get("channel_values", {})


def _history(checkpointer: BaseCheckpointSaver, thread_id: str, state: Sequence[BaseMessage]) -> list[BaseMessage]:
    store = transcripts_for(checkpointer)
    archived = messages_from_dict(store.messages(thread_id)) if store is not None else []
    seen = {m.id for m in archived}
    return [*archived, *(m for m in state if m.id != SUMMARY_ID and m.id not in seen)]


def thread_messages(checkpointer: BaseCheckpointSaver, thread_id: str) -> list[BaseMessage]:
    """Every message of ``thread_id``, oldest first: the archived ones, then the state's (empty if never saved).
    What ``graph.get_state(config).values["messages"]`` was before threads were compacted."""
    return _history(checkpointer, thread_id, _values(checkpointer, thread_id).get("messages", []))


def thread_transcript(checkpointer: BaseCheckpointSaver, thread_id: str) -> dict[str, Any]:
    """The latest saved state of ``thread_id``: all its messages, route, waiting approval; empty if never saved."""
    values = _values(checkpointer, thread_id)
    return {
        "thread_id": thread_id,
        "messages": [message_json(m) for m in _history(checkpointer, thread_id, values.get("messages", []))],
        "route": list(values.get("route", [])),
        "pending_approval": values.get("pending_approval"),
        "active_strategy": values.get("active_strategy"),
    }
