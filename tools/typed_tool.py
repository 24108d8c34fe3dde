"""``typed_tool``: a LangChain ``StructuredTool`` from a pydantic argument model and a run function.

The run function gets the validated argument model and returns a ``ToolResult`` (or another result
model). Errors the services raise on purpose become structured results, so the model sees
``{"status": "error", "code": ..., "message": ...}`` rather than a traceback; invalid arguments
are rejected by the schema with pydantic's message naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from langchain_core.tools import StructuredTool
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from errors import QuantpilotError
from tools.backends import ServiceUnavailable
from tools.results import MAX_RESULT_CHARS, Failure, Unavailable

_SYMBOL = re.compile(r"^[A-Z^][A-Z0-9.\-=^]{0,14}$")


def _symbol(value: str) -> str:
    cleaned = value.strip().upper()
    if not _SYMBOL.match(cleaned):
        raise ValueError(f"not a ticker symbol: {value!r} (1-15 letters, digits, '.', '-', '^', '=')")
    return cleaned


Symbol = Annotated[str, AfterValidator(_symbol)]
AsOf = Annotated[
    date | datetime | None,
    Field(default=None, description="point in time the data is read at (ISO date/time); default: now"),
]


class ToolArgs(BaseModel):
    """Base of every tool's arguments: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def dump(result: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """A JSON-ready dict of ``result``."""
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    return json.loads(json.dumps(result, default=str))


def typed_tool(
    name: str,
    description: str,
    args_schema: type[ToolArgs],
    run: Callable[[Any], BaseModel | dict[str, Any]],
) -> StructuredTool:
    """A tool named ``name`` that validates its arguments with ``args_schema`` and calls ``run(args)``."""

    def call(**kwargs: Any) -> dict[str, Any]:
        args = args_schema.model_validate(kwargs)
        try:
            result = dump(run(args))
        except ServiceUnavailable as exc:
            result = dump(Unavailable(tool=name, reason=exc.message, missing=exc.details.get("missing")))
        except QuantpilotError as exc:
            result = dump(Failure(tool=name, code=exc.code, message=exc.message, details=_small(exc.details)))
        return result

    return StructuredTool.from_function(func=call, name=name, description=description, args_schema=args_schema)


def _small(details: dict[str, Any]) -> dict[str, Any]:
    """Error details cut down to fit in a tool result."""
    text = json.dumps(details, default=str)
    if len(text) <= MAX_RESULT_CHARS // 2:
        return json.loads(text)
    return {"truncated": True, "keys": sorted(details)[:20]}
