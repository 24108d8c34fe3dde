"""What each agent puts in front of its model on every call, and its size in tokens of a real tokenizer.

``shown_to_model(spec)`` is the agent's system prompt and the JSON of the tool schemas its node binds
(``agents.tool_schemas.lean_tool`` of its tools and the hand-off tool), as the OpenAI client puts them
on the wire (compact JSON; a server's chat template may lay them out again, which
``benchmarks/model/e2e.py`` measures as the server's own prompt token count). ``file_tokenizer``
counts with a ``tokenizers`` file: the test suite holds the budget with SmolLM2's tokenizer rebuilt
from its GGUF (``benchmarks/model/smollm2-tokenizer.json.gz``, whose counts equal the llama.cpp
server's). The budget is ``PROMPT_TOKEN_BUDGET`` per agent.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

from agents.tool_schemas import lean_tool
from graph.agent_spec import AgentSpec
from graph.routing import route_to_tool

PROMPT_TOKEN_BUDGET = 1200


def shown_to_model(spec: AgentSpec) -> str:
    tools = [lean_tool(t) for t in [*spec.tools, route_to_tool()]]
    return spec.system_prompt + "\n" + json.dumps(tools, separators=(",", ":"))  # as the OpenAI client sends it


def file_tokenizer(path: Path) -> Callable[[str], int]:
    """A token counter from a ``tokenizers`` JSON file (``.gz`` allowed); no special tokens added."""
    from tokenizers import Tokenizer

    data = path.read_bytes()
    tokenizer = Tokenizer.from_str((gzip.decompress(data) if path.suffix == ".gz" else data).decode())
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


def prompt_tokens(specs: dict[str, AgentSpec], count: Callable[[str], int]) -> dict[str, int]:
    """Agent name -> tokens of its system prompt and tool schemas."""
    return {name: count(shown_to_model(spec)) for name, spec in specs.items()}
