"""The Strategy agent: its versioned system prompt and its tools."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from agents.specs import AgentSpec, system_prompt

NAME = "strategy"
# what people are told this agent does ("help"), and one request it understands
SUMMARY = ("researches strategies: list them, indicators and signals, backtests, walk-forwards, Monte Carlo, "
           "portfolio optimisation, comparing runs, and asks for promotions up the ladder")
EXAMPLE = "backtest an SMA crossover on AAPL and MSFT since 2015"
PROMPT_VERSION = "strategy-v3"
SYSTEM_PROMPT = system_prompt(
    "You are quantpilot's Strategy agent: backtests, walk-forwards, signals, portfolios; you request promotions "
    "(draft -> backtested -> paper -> live) that humans approve."
)


def build(tools: list[BaseTool], model: BaseChatModel) -> AgentSpec:
    return AgentSpec(name=NAME, system_prompt=SYSTEM_PROMPT, prompt_version=PROMPT_VERSION, tools=tuple(tools),
                     model=model)
