"""The Risk agent: its versioned system prompt and its tools."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from agents.specs import AgentSpec, system_prompt

NAME = "risk"
# what people are told this agent does ("help"), and one request it understands
SUMMARY = ("watches risk: exposure, the limits in force and proposals to change them, stress tests, pre-trade "
           "size checks, the breakers and the kill switch")
EXAMPLE = "what's my exposure?"
PROMPT_VERSION = "risk-v2"
SYSTEM_PROMPT = system_prompt(
    "You are the Risk agent of quantpilot. You check orders against the risk policy, report exposure, "
    "breakers and the kill switch, run stress tests and propose risk limit changes, which need an "
    "approval."
)


def build(tools: list[BaseTool], model: BaseChatModel) -> AgentSpec:
    return AgentSpec(name=NAME, system_prompt=SYSTEM_PROMPT, prompt_version=PROMPT_VERSION, tools=tuple(tools),
                     model=model)
