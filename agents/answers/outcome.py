"""``ToolOutcome``: one tool call's result as the answer writer reads it (tool name, JSON payload, arguments),
and ``typed``, which reads a payload into the tool's own output model (or a view of a summary)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage


class View(BaseModel):
    """A typed view of part of a result: the fields a writer reads; anything else is ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


@dataclass(frozen=True)
class ToolOutcome:
    """What one tool call returned: ``payload`` is the tool's JSON result (a dict for every quantpilot tool)."""

    name: str
    payload: Any
    args: Mapping[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return str(self.payload.get("status", "ok")) if isinstance(self.payload, Mapping) else "text"

    @property
    def data(self) -> Mapping[str, Any]:
        """The result's fields: the ``summary`` of a ``Summary`` result, else the payload itself."""
        if not isinstance(self.payload, Mapping):
            return {}
        summary = self.payload.get("summary")
        return summary if isinstance(summary, Mapping) else self.payload


def typed[Model: BaseModel](model: type[Model], data: Mapping[str, Any] | Any) -> Model | None:
    """``data`` read into ``model`` (fields the model does not know are left out), or None when it does not fit."""
    if not isinstance(data, Mapping):
        return None
    try:
        return model.model_validate({k: v for k, v in data.items() if k in model.model_fields})
    except ValidationError:
        return None


def parse_content(content: Any) -> Any:
    """A ToolMessage's content as JSON data when it is JSON text, else as given."""
    if isinstance(content, dict | list):
        return content
    try:
        return json.loads(content)
    except (TypeError, ValueError):
        return content


def turn_outcomes(messages: Sequence[BaseMessage]) -> list[ToolOutcome]:
    """The tool outcomes of the current turn (after the last human message), with each call's arguments."""
    # imported here: an approval card or a decision's text is written without LangChain (a read command's)
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    turn = messages[last_human + 1:]
    args = {c["id"]: c.get("args") or {} for m in turn if isinstance(m, AIMessage) for c in m.tool_calls}
    return [ToolOutcome(m.name or "tool", parse_content(m.content), args.get(m.tool_call_id, {}))
            for m in turn if isinstance(m, ToolMessage)]
