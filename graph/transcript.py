"""A thread's messages read from the checkpointer, as JSON-ready dicts (for ``threads show``, the API)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langgraph.checkpoint.base import BaseCheckpointSaver


def message_json(message: BaseMessage) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.type, "content": message.content}
    if message.name:
        data["name"] = message.name
    if isinstance(message, AIMessage) and message.tool_calls:
        data["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
    if isinstance(message, ToolMessage):
        data["status"] = message.status
    return data


def thread_transcript(checkpointer: BaseCheckpointSaver, thread_id: str) -> dict[str, Any]:
    """The latest saved state of ``thread_id``: messages, route, waiting approval; empty if never saved."""
    saved = checkpointer.get_tuple({"configurable": {"thread_id": thread_id}})
    values = {} if saved is None else saved.checkpoint.get("channel_values", {})
    return {
        "thread_id": thread_id,
        "messages": [message_json(m) for m in values.get("messages", [])],
        "route": list(values.get("route", [])),
        "pending_approval": values.get("pending_approval"),
        "active_strategy": values.get("active_strategy"),
    }
