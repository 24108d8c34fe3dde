"""``typed_tool``: a LangChain ``StructuredTool`` from a pydantic argument model and a run function.

The run function gets the validated argument model and returns a ``ToolResult`` (or another result
model). Errors the services raise on purpose become structured results, so the model sees
``{"status": "error", "code": ..., "message": ...}`` rather than a traceback; an unknown symbol is
a ``refused`` result naming close matches; invalid arguments are rejected by the schema with
pydantic's message naming the field.

``context_tool`` binds a tool to a ``ToolContext`` and re-scopes it per call: the graph passes the
thread's user, role and thread id in ``config["configurable"][SCOPE_KEY]``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import StructuredTool
from pydantic import BaseModel, ConfigDict, Field

from errors import QuantpilotError
from quant.data.symbols import Symbol  # the one symbol type, re-exported for the tools
from tools.collaborators import ServiceUnavailable
from tools.context import ToolContext
from tools.grounding import UNKNOWN_SYMBOL, UnknownSymbols
from tools.results import MAX_RESULT_CHARS, Failure, Refusal, Unavailable

__all__ = ["AsOf", "Symbol", "ToolArgs", "context_tool", "dump", "typed_tool"]

SCOPE_KEY = "quantpilot_scope"  # configurable key: {"user", "role", "thread_id"} of the calling thread

AsOf = Annotated[
    date | datetime | None,
    Field(default=None, description="ISO date"),
]


class ToolArgs(BaseModel):
    """Base of every tool's arguments: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def dump(result: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """A JSON-ready dict of ``result``."""
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    return json.loads(json.dumps(result, default=str))


def _guarded(name: str, run: Callable[[], BaseModel | dict[str, Any]]) -> dict[str, Any]:
    try:
        return dump(run())
    except UnknownSymbols as exc:
        return dump(Refusal(tool=name, codes=[UNKNOWN_SYMBOL], message=exc.message, details=_small(exc.details)))
    except ServiceUnavailable as exc:
        return dump(Unavailable(tool=name, reason=exc.message, missing=exc.details.get("missing")))
    except QuantpilotError as exc:
        return dump(Failure(tool=name, code=exc.code, message=exc.message, details=_small(exc.details)))


def typed_tool(
    name: str,
    description: str,
    args_schema: type[ToolArgs],
    run: Callable[[Any], BaseModel | dict[str, Any]],
) -> StructuredTool:
    """A tool named ``name`` that validates its arguments with ``args_schema`` and calls ``run(args)``."""

    def call(**kwargs: Any) -> dict[str, Any]:
        args = args_schema.model_validate(kwargs)
        return _guarded(name, lambda: run(args))

    return StructuredTool.from_function(func=call, name=name, description=description, args_schema=args_schema)


def context_tool(
    ctx: ToolContext,
    name: str,
    description: str,
    args_schema: type[ToolArgs],
    run: Callable[[ToolContext, Any], BaseModel | dict[str, Any]],
) -> StructuredTool:
    """Like ``typed_tool``, calling ``run(ctx, args)`` with ``ctx`` scoped to the calling thread's user."""

    def call(config: RunnableConfig, **kwargs: Any) -> dict[str, Any]:
        args = args_schema.model_validate(kwargs)
        scoped = ctx.scoped((config or {}).get("configurable", {}).get(SCOPE_KEY))
        return _guarded(name, lambda: run(scoped, args))

    return StructuredTool.from_function(func=call, name=name, description=description, args_schema=args_schema)


def _small(details: dict[str, Any]) -> dict[str, Any]:
    """Error details cut down to fit in a tool result."""
    text = json.dumps(details, default=str)
    if len(text) <= MAX_RESULT_CHARS // 2:
        return json.loads(text)
    return {"truncated": True, "keys": sorted(details)[:20]}
