"""A tool called with bad arguments answers ``field: problem`` (as the API's 422 does), not pydantic's dump."""

from __future__ import annotations

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from graph.context import GraphContext
from graph.tool_guard import run_tool


class _Args(BaseModel):
    reason: str = Field(min_length=3)
    qty: int = Field(ge=1)


def test_an_argument_error_names_each_field_and_its_problem():
    tool = StructuredTool.from_function(lambda reason, qty: {"ok": True}, name="demo_tool", description="demo",
                                        args_schema=_Args)

    payload, ok = run_tool(tool, {"reason": "x", "qty": 0}, {"user": "dana"}, None, GraphContext())

    assert ok is False and payload["status"] == "error" and payload["code"] == "ValidationError"
    assert payload["message"] == ("reason: String should have at least 3 characters; "
                                  "qty: Input should be greater than or equal to 1")
