"""``build_tools(ctx)``: every agent's tool list, bound to one run's ``ToolContext``."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools.context import ToolContext
from tools.data import build_data_tools
from tools.execution import build_execution_tools
from tools.ladder import build_ladder_tools
from tools.monitoring import build_monitoring_tools
from tools.risk import build_risk_tools
from tools.strategy import build_strategy_tools

AGENT_NAMES: tuple[str, ...] = ("data", "strategy", "risk", "execution", "monitoring")


def build_tools(ctx: ToolContext) -> dict[str, list[BaseTool]]:
    """Agent name -> its tools. Ladder tools go to strategy (promotion) and execution. Searching long-term
    memory (``recall``) is every agent's but the strategy agent's, whose many research tools fill its prompt
    budget; like every agent it still gets the recollections relevant to a request in its thread note."""
    ladder = {tool.name: tool for tool in build_ladder_tools(ctx)}
    recall, promote = ladder["recall"], ladder["request_promotion"]
    return {
        "data": [*build_data_tools(ctx), recall],
        "strategy": [*build_strategy_tools(ctx), promote],
        "risk": [*build_risk_tools(ctx), recall],
        "execution": [*build_execution_tools(ctx), promote, recall],
        "monitoring": [*build_monitoring_tools(ctx), recall],
    }


def all_tools(ctx: ToolContext) -> dict[str, BaseTool]:
    """Every distinct tool by name."""
    return {tool.name: tool for tools in build_tools(ctx).values() for tool in tools}
