"""Lean prompts: what every agent sends its model on each call stays under the token budget, counted
with the served model's own tokenizer; and the tool schemas are ones every grammar engine accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents import build_agents
from agents.tool_schemas import lean_tool
from config import Settings
from graph.agent_spec import agent_specs
from graph.prompt_size import PROMPT_TOKEN_BUDGET, file_tokenizer, prompt_tokens, shown_to_model
from tools import ToolContext, all_tools

SMOLLM2 = Path(__file__).parents[3] / "benchmarks" / "model" / "smollm2-tokenizer.json.gz"


@pytest.fixture(scope="module")
def specs():
    settings = Settings()
    return agent_specs(build_agents(settings, ToolContext(settings=settings)))


def test_the_stored_tokenizer_is_smollm2s_byte_level_bpe():
    count = file_tokenizer(SMOLLM2)
    # counts the llama.cpp server gave for the same text (its /extras/tokenize/count)
    assert count("hello world") == 2
    assert count("Backtest an SMA crossover on AAPL and MSFT since 2015-01-02, qty 12345.67!") == 37


def test_every_agents_prompt_and_tool_schemas_fit_the_budget(specs):
    sizes = prompt_tokens(specs, file_tokenizer(SMOLLM2))
    assert set(sizes) == {"data", "strategy", "risk", "execution", "monitoring"}
    assert max(sizes.values()) < PROMPT_TOKEN_BUDGET, sizes


def test_the_shown_schemas_have_no_bounds_a_grammar_engine_would_unroll(specs):
    shown = "".join(shown_to_model(spec) for spec in specs.values())
    for keyword in ("maxItems", "maxLength", "minItems", "additionalProperties", '"title"'):
        assert keyword not in shown


def test_an_optional_field_is_shown_as_its_type_and_not_required():
    tool = all_tools(ToolContext(settings=Settings()))["compute_features"]
    params = lean_tool(tool)["function"]["parameters"]
    assert params["properties"]["as_of"]["type"] == "string"
    assert "as_of" not in params.get("required", [])
    assert "anyOf" not in json.dumps(params)


def test_no_tool_takes_a_large_input_by_value():
    for name, tool in all_tools(ToolContext(settings=Settings())).items():
        schema = tool.args_schema.model_json_schema()
        for size in _bounds(schema, "maxItems"):
            assert size <= 64, f"{name} accepts {size} items by value; pass a reference (a run id) instead"


def _bounds(schema, key):
    if isinstance(schema, dict):
        if isinstance(schema.get(key), int):
            yield schema[key]
        for value in schema.values():
            yield from _bounds(value, key)
    elif isinstance(schema, list):
        for value in schema:
            yield from _bounds(value, key)
