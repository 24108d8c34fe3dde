"""Per agent: tokens of its system prompt + tool schemas (SmolLM2's tokenizer, as sent on the wire) and, with
``--server``, the prompt tokens a llama.cpp server counts for a minimal request with them (its chat template
lays the tools out again).

    python -m benchmarks.model.prompt_sizes [--server http://127.0.0.1:PORT/v1]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).parent


def sizes(server: str | None) -> dict[str, dict[str, int]]:
    from agents import build_agents
    from agents.tool_schemas import lean_tool
    from config import Settings
    from graph.agent_spec import agent_specs
    from graph.prompt_size import file_tokenizer, prompt_tokens
    from graph.routing import route_to_tool
    from tools import ToolContext

    settings = Settings()
    specs = agent_specs(build_agents(settings, ToolContext(settings=settings)))
    counted = prompt_tokens(specs, file_tokenizer(HERE / "smollm2-tokenizer.json.gz"))
    rows = {name: {"smollm2_tokens": n, "tools": len(specs[name].tools) + 1} for name, n in counted.items()}
    if server:
        import httpx

        for name, spec in specs.items():
            body = {"model": "smollm2", "max_tokens": 1, "tool_choice": "auto",
                    "messages": [{"role": "system", "content": spec.system_prompt}, {"role": "user", "content": "hi"}],
                    "tools": [lean_tool(t) for t in [*spec.tools, route_to_tool()]]}
            answer = httpx.post(f"{server}/chat/completions", json=body, timeout=600).json()
            rows[name]["server_prompt_tokens"] = answer["usage"]["prompt_tokens"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default=None)
    print(json.dumps(sizes(parser.parse_args().server), indent=1))


if __name__ == "__main__":
    main()
