"""The Execution agent: its versioned system prompt and its tools."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from agents.specs import AgentSpec, system_prompt

NAME = "execution"
# what people are told this agent does ("help"), and one request it understands
SUMMARY = ("trades through the execution gate: places orders (each needs an approval), order status, positions "
           "and reconciliation")
EXAMPLE = "buy 10 AAPL"
PROMPT_VERSION = "execution-v2"
SYSTEM_PROMPT = system_prompt(
    "You are the Execution agent of quantpilot. You place orders only through the execution gate (risk "
    "policy, stored approval, kill switch), check order status, list and reconcile positions."
)


def build(tools: list[BaseTool], model: BaseChatModel) -> AgentSpec:
    return AgentSpec(name=NAME, system_prompt=SYSTEM_PROMPT, prompt_version=PROMPT_VERSION, tools=tuple(tools),
                     model=model)
