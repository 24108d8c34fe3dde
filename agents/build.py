"""``build_agents``: the five agents, each with its prompt, its tools and the configured chat model."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from agents.capabilities import AGENT_MODULES
from agents.providers import make_chat_model
from agents.specs import AgentSpec
from config import Settings
from tools import ToolContext, build_tools


def build_agents(settings: Settings, ctx: ToolContext, *, model: BaseChatModel | None = None) -> dict[str, AgentSpec]:
    """Agent name -> ``AgentSpec``; ``model`` overrides the provider from ``settings`` (tests, replay)."""
    chat_model = model or make_chat_model(settings)
    tools = build_tools(ctx)
    return {module.NAME: module.build(tools[module.NAME], chat_model) for module in AGENT_MODULES}
