"""What quantpilot can do, in words: each of the five agents' summary and one request it understands, from the
agent modules themselves (``SUMMARY``, ``EXAMPLE``). The answer to "help" and to a request no agent can serve."""

from __future__ import annotations

from agents import data_agent, execution_agent, monitoring_agent, risk_agent, strategy_agent

AGENT_MODULES = (data_agent, strategy_agent, risk_agent, execution_agent, monitoring_agent)


def agent_lines() -> list[str]:
    """``- Data agent: loads and checks market data…; try "load data for AAPL since 2015"``, one per agent."""
    return [f'- {m.NAME.capitalize()} agent: {m.SUMMARY}. Try: "{m.EXAMPLE}"' for m in AGENT_MODULES]


def capabilities_text() -> str:
    return "\n".join([
        "quantpilot has five agents; ask in plain words and the right one answers (you are talking to the offline "
        "planner: deterministic rules, not an LLM):", *agent_lines(),
        "Promotions (backtested, paper, live), orders and limit changes wait for a human approval. "
        "In this conversation \"it\" means the last run, so \"run a walk-forward of it\" and \"promote it to paper\" "
        "work after a backtest.",
    ])


def not_understood_text(request: str) -> str:
    """A helpful refusal: what was not understood, and what would work."""
    shown = request.strip().replace("\n", " ")
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    return f'I can\'t help with "{shown}" here. ' + capabilities_text()
