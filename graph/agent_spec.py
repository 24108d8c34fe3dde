"""What the graph needs of an agent: a name, a system prompt (versioned), its tools and its chat model.

``agents/`` may not import ``graph/`` (layers point down), so any object with these attributes is
accepted (duck typing), and so is a plain ``(model, tools)`` pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from errors import ConfigError

AGENT_NAMES: tuple[str, ...] = ("data", "strategy", "risk", "execution", "monitoring")


@dataclass(frozen=True)
class AgentSpec:
    """One agent (its model's calls are priced by the usage ledger's price table, by model name)."""

    name: str
    system_prompt: str
    prompt_version: str
    tools: list[BaseTool]
    model: BaseChatModel
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def tool_names(self) -> frozenset[str]:
        return frozenset(t.name for t in self.tools)


def as_agent_spec(name: str, value: Any) -> AgentSpec:
    """An AgentSpec from an AgentSpec, an object with the same attributes, or a ``(model, tools)`` pair."""
    if isinstance(value, AgentSpec):
        spec = value
    elif isinstance(value, tuple | list) and len(value) == 2:
        model, tools = value
        spec = AgentSpec(name, f"You are the {name} agent of quantpilot.", "0", list(tools), model)
    elif hasattr(value, "model") and hasattr(value, "tools"):
        spec = AgentSpec(
            name=getattr(value, "name", name),
            system_prompt=getattr(value, "system_prompt", f"You are the {name} agent of quantpilot."),
            prompt_version=str(getattr(value, "prompt_version", "0")),
            tools=list(value.tools),
            model=value.model,
        )
    else:
        raise ConfigError(f"agent {name!r}: expected an AgentSpec or a (model, tools) pair, got {type(value).__name__}")
    if spec.name != name:
        raise ConfigError(f"agent registered as {name!r} calls itself {spec.name!r}")
    return spec


def agent_specs(agents: Mapping[str, Any], required: Sequence[str] = AGENT_NAMES) -> dict[str, AgentSpec]:
    """Validate the mapping: every required agent present, no unknown names."""
    unknown = sorted(set(agents) - set(AGENT_NAMES))
    if unknown:
        raise ConfigError(f"unknown agent name(s) {unknown}; known: {list(AGENT_NAMES)}")
    missing = [n for n in required if n not in agents]
    if missing:
        raise ConfigError(f"missing agent(s) {missing}; the graph routes to all of {list(AGENT_NAMES)}")
    return {name: as_agent_spec(name, value) for name, value in agents.items()}
