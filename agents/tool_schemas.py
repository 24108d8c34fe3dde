"""The tool schemas a model is shown: lean, and accepted by every common grammar engine.

``lean_tool(tool)`` is the OpenAI function definition of a LangChain tool with what only costs
prompt tokens or breaks constrained decoding taken out: bounds on lengths, counts and values
(llama.cpp turns ``maxItems: 20000`` into a 400,000-character grammar and crashes), patterns,
formats, defaults (an argument left out takes its default), ``additionalProperties`` and the
``anyOf [X, null]`` of optional fields (an optional field is simply not required). Nothing is lost:
every call is still validated against the tool's full pydantic schema before it runs, and a call
that fails is refused and the model told why.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

_DROPPED = frozenset({"title", "additionalProperties", "minLength", "maxLength", "minItems", "maxItems",
                      "minProperties", "maxProperties", "exclusiveMinimum", "exclusiveMaximum", "minimum",
                      "maximum", "pattern", "default", "format", "examples",
                      # tuple and keyed-map shapes: grammar engines differ on them; the full schema still validates
                      "patternProperties", "propertyNames", "prefixItems"})


def _optional(schema: dict[str, Any]) -> dict[str, Any] | None:
    """``X`` for ``{"anyOf": [X, {"type": "null"}]}`` (either order); ``{"type": T}`` when every non-null
    option has type ``T`` (a date or a date-time string); else None."""
    options = schema.get("anyOf")
    if not isinstance(options, list):
        return None
    rest = [o for o in options if o != {"type": "null"}]
    if len(rest) == 1 and isinstance(rest[0], dict):
        return rest[0]
    types = {o.get("type") for o in rest if isinstance(o, dict)}
    return {"type": types.pop()} if len(types) == 1 and None not in types and len(rest) > 1 else None


def lean_schema(schema: Any, depth: int = 0) -> Any:
    """A JSON schema without bounds, titles, extra-property flags and null alternatives (see the module); the
    fields of a nested object (``depth`` > 1) go without descriptions: the object's own description names them."""
    if isinstance(schema, list):
        return [lean_schema(item, depth) for item in schema]
    if not isinstance(schema, dict):
        return schema
    inner = _optional(schema)
    if inner is not None:
        merged = {**inner, **{k: v for k, v in schema.items() if k in ("description",)}}
        return lean_schema(merged, depth)
    if "x-lean" in schema:  # an object shown as one line naming its fields (``Costs``)
        return {"type": "object", "description": schema["x-lean"]}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED or (key == "description" and depth > 1):
            continue
        if key == "properties" and isinstance(value, dict):  # property names are data, not schema keywords
            out[key] = {name: lean_schema(sub, depth + 1) for name, sub in value.items()}
        else:
            out[key] = lean_schema(value, depth)
    return out


def lean_tool(tool: BaseTool | dict[str, Any]) -> dict[str, Any]:
    """The OpenAI ``{"type": "function", "function": {...}}`` definition of ``tool``, lean."""
    definition = convert_to_openai_tool(tool)
    function = dict(definition["function"])
    if "parameters" in function:
        function["parameters"] = lean_schema(function["parameters"])
    return {"type": "function", "function": function}


def strict_arguments(text: str | None) -> str | None:
    """None when ``text`` (a tool call's raw arguments) is one complete JSON object, or empty (no arguments);
    else what is wrong with it, in one line."""
    if text is None or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        return f"arguments are not complete JSON ({exc.msg} at character {exc.pos})"
    return None if isinstance(value, dict) else f"arguments must be a JSON object, got {type(value).__name__}"
