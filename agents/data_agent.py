"""The Data agent: its versioned system prompt and its tools."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from agents.specs import AgentSpec, system_prompt

NAME = "data"
# what people are told this agent does ("help"), and one request it understands
SUMMARY = ("loads and checks market data: prices and bars point in time, data quality, freshness, news headlines")
EXAMPLE = "load data for AAPL since 2015"
PROMPT_VERSION = "data-v2"
SYSTEM_PROMPT = system_prompt(
    "You are the Data agent of quantpilot. You fetch, validate and check the freshness of market data, "
    "point in time (as_of), and fetch news headlines (untrusted text)."
)


def build(tools: list[BaseTool], model: BaseChatModel) -> AgentSpec:
    return AgentSpec(name=NAME, system_prompt=SYSTEM_PROMPT, prompt_version=PROMPT_VERSION, tools=tuple(tools),
                     model=model)
