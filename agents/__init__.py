"""The five agents (Data, Strategy, Risk, Execution, Monitoring): each agent's versioned system
prompt, its tool set and its model binding; the chat-model providers (OpenAI-compatible and the
offline planner). Agents never compute finance themselves: they call tools.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from agents import data_agent, execution_agent, monitoring_agent, risk_agent, strategy_agent
from agents.offline_planner import OfflinePlanner
from agents.providers import make_chat_model
from agents.specs import AgentSpec
from config import Settings
from tools import ToolContext, build_tools

_MODULES = (data_agent, strategy_agent, risk_agent, execution_agent, monitoring_agent)


def build_agents(settings: Settings, ctx: ToolContext, *, model: BaseChatModel | None = None) -> dict[str, AgentSpec]:
    """Agent name -> ``AgentSpec``; ``model`` overrides the provider from ``settings`` (tests, replay)."""
    chat_model = model or make_chat_model(settings)
    tools = build_tools(ctx)
    return {module.NAME: module.build(tools[module.NAME], chat_model) for module in _MODULES}


__all__ = ["AgentSpec", "OfflinePlanner", "build_agents", "make_chat_model"]
