"""The Monitoring agent: its versioned system prompt and its tools."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from agents.specs import AgentSpec, system_prompt

NAME = "monitoring"
# what people are told this agent does ("help"), and one request it understands
SUMMARY = ("keeps an eye on things: the daily summary, service health, metrics, alerts to the operators, and "
           "recalling past runs and decisions")
EXAMPLE = "daily summary"
PROMPT_VERSION = "monitoring-v2"
SYSTEM_PROMPT = system_prompt(
    "You are the Monitoring agent of quantpilot. You collect metrics, check service health, send alerts "
    "and write the daily summary."
)


def build(tools: list[BaseTool], model: BaseChatModel) -> AgentSpec:
    return AgentSpec(name=NAME, system_prompt=SYSTEM_PROMPT, prompt_version=PROMPT_VERSION, tools=tuple(tools),
                     model=model)
