"""The MCP server through the official client over in-memory streams: the caller's role decides which
tools exist and run, and no order reaches the broker without a stored approval."""

from __future__ import annotations

import anyio
import pytest

from tests.integration.mcp.conftest import count

ORDER = {"order": {"symbol": "AAA", "side": "buy", "qty": 1, "decision_key": "mcp-test-1"}}


def _run(toolbox, caller, script):
    from mcp import Client

    from api.mcp_server import build_mcp_server

    async def main():
        async with Client(build_mcp_server(toolbox, caller)) as client:
            return await script(client)

    return anyio.run(main)


def _caller(role: str):
    from api.mcp_server import McpCaller

    return McpCaller(f"mcp-{role}", role)


def test_a_viewer_lists_read_tools_but_not_research_order_placing_or_operator_tools(toolbox):
    async def script(client):
        return {t.name: t for t in (await client.list_tools()).tools}

    tools = _run(toolbox, _caller("viewer"), script)

    assert {"get_positions", "check_kill_switch", "compare_runs"} <= set(tools)
    assert not {"backtest_strategy", "run_walk_forward", "run_monte_carlo", "optimize_portfolio"} & set(tools)
    assert "place_order" not in tools and "set_kill_switch" not in tools
    assert not {"approve_request", "reject_request", "update_settings"} & set(tools)
    assert tools["get_positions"].annotations.read_only_hint is True
    assert tools["get_positions"].input_schema["type"] == "object"


def test_a_trader_sees_place_order_with_its_argument_schema(toolbox):
    async def script(client):
        return {t.name: t for t in (await client.list_tools()).tools}

    tools = _run(toolbox, _caller("trader"), script)

    assert tools["place_order"].annotations.destructive_hint is True
    assert "order" in tools["place_order"].input_schema["properties"]


def test_read_tool_answers_from_the_paper_broker(toolbox):
    async def script(client):
        return await client.call_tool("get_positions", {})

    result = _run(toolbox, _caller("viewer"), script)

    assert result.is_error is False
    assert result.structured_content["mode"] == "paper"
    assert result.structured_content["equity_usd"] > 0


def test_place_order_without_an_approval_is_refused_and_nothing_is_sent(database, toolbox, recent_bars):
    async def script(client):
        return await client.call_tool("place_order", ORDER)

    result = _run(toolbox, _caller("trader"), script)

    assert result.is_error is True
    assert result.structured_content["status"] == "approval_required"
    assert count(database, "paper_orders") == 0
    assert count(database, "orders") == 0
    assert count(database, "audit_log", "channel = 'mcp' AND action = 'order_approval_required'") == 1


def test_a_limit_change_asked_over_mcp_needs_an_approval_and_changes_nothing(database, toolbox):
    from memory.trading_state import RiskLimitStore

    before = RiskLimitStore(database).current()

    async def script(client):
        return await client.call_tool("propose_risk_limit_change", {"changes": {"max_open_positions": 12},
                                                                    "reason": "more names"})

    result = _run(toolbox, _caller("trader"), script)

    assert result.is_error is True
    assert result.structured_content["status"] == "approval_required"
    assert result.structured_content["message"].startswith("a risk-limit change needs another person's approval")
    assert "order" not in result.structured_content["message"]
    assert RiskLimitStore(database).current() == before


def test_place_order_from_a_viewer_is_refused_by_role(database, toolbox, recent_bars):
    async def script(client):
        return await client.call_tool("place_order", ORDER)

    result = _run(toolbox, _caller("viewer"), script)

    assert result.is_error is True
    assert result.structured_content["code"] == "role_too_low"
    assert count(database, "orders") == 0


@pytest.mark.parametrize("name", ["approve_request", "no_such_tool"])
def test_operator_and_unknown_tools_cannot_be_called_even_by_an_admin(toolbox, name):
    async def script(client):
        return await client.call_tool(name, {})

    result = _run(toolbox, _caller("admin"), script)

    assert result.is_error is True
    assert result.structured_content["status"] == "refused"


def test_invalid_arguments_are_an_error_naming_the_field(toolbox):
    async def script(client):
        return await client.call_tool("place_order", {"order": {"symbol": "AAA", "side": "hold", "qty": 1}})

    result = _run(toolbox, _caller("trader"), script)

    assert result.is_error is True
    assert "side" in result.content[0].text


def test_a_refusal_that_echoes_the_callers_input_masks_a_pasted_api_key(toolbox):
    key = "qp_0123456789ab_" + "N0tForY0urEyes" * 3

    async def script(client):
        return await client.call_tool(f"lookup_{key}", {})

    result = _run(toolbox, _caller("admin"), script)

    assert result.is_error is True and result.structured_content["code"] == "unknown_tool"
    assert key not in result.content[0].text and "[REDACTED:quantpilot_key]" in result.content[0].text
