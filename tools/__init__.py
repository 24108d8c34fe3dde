"""LangChain tools with typed pydantic arguments and compact typed results: thin wrappers over
quant/, guardrails/ and memory/, no logic of their own. ``build_tools(ctx)`` gives each agent its list.
"""

from tools.context import InMemoryTradingState, OrderGateway, RecordingAlertSink, ToolContext, TradingStateStore
from tools.registry import AGENT_NAMES, all_tools, build_tools

__all__ = ["AGENT_NAMES", "InMemoryTradingState", "OrderGateway", "RecordingAlertSink", "ToolContext",
           "TradingStateStore", "all_tools", "build_tools"]
