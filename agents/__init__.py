"""The five agents (Data, Strategy, Risk, Execution, Monitoring): each agent's versioned system
prompt, its tool set and its model binding; the chat-model providers (OpenAI-compatible and the
offline planner). Agents never compute finance themselves: they call tools.

The names are loaded on first use, so ``agents.answers`` (the approval card a read command prints) comes
without the tools, the model stack and LangChain.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.build import build_agents
    from agents.offline_planner import OfflinePlanner
    from agents.providers import make_chat_model
    from agents.specs import AgentSpec

_WHERE = {"AgentSpec": "specs", "OfflinePlanner": "offline_planner", "build_agents": "build",
          "make_chat_model": "providers"}

__all__ = ["AgentSpec", "OfflinePlanner", "build_agents", "make_chat_model"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"agents.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
