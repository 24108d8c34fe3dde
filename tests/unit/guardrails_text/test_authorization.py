"""Tool authorisation per agent and per user role."""

from __future__ import annotations

import tempfile

import pytest

from errors import ConfigError
from guardrails.authorization import (
    AGENTS,
    POLICY,
    Allowed,
    DenialCode,
    Denied,
    authorize_tool_call,
    tools_for,
)
from guardrails.policy import Role

ROLES = ("viewer", "trader", "approver", "admin")

# tool, calling agent (None = a person acting directly), lowest role that is allowed
MATRIX = [
    ("fetch_historical_data", "data", "viewer"),
    ("backtest_strategy", "strategy", "trader"),
    ("compare_runs", "strategy", "viewer"),
    ("recall", "monitoring", "viewer"),
    ("place_order", "execution", "trader"),
    ("request_promotion", "strategy", "trader"),
    ("propose_risk_limit_change", "risk", "trader"),
    ("set_kill_switch", "risk", "trader"),
    ("approve_request", None, "approver"),
    ("reject_request", None, "approver"),
    ("update_settings", None, "admin"),
    ("enable_live_trading", None, "admin"),
]


@pytest.mark.parametrize(("tool", "agent", "lowest"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_authorisation_matrix_follows_the_role_order(tool, agent, lowest, role):
    decision = authorize_tool_call(agent, tool, role)
    if ROLES.index(role) >= ROLES.index(lowest):
        assert decision == Allowed(tool, agent, Role.parse(role))
    else:
        assert isinstance(decision, Denied)
        assert decision.code is DenialCode.ROLE_TOO_LOW
        assert decision.details["required_role"] == lowest


def test_roles_are_ordered_viewer_trader_approver_admin():
    assert Role.VIEWER.rank < Role.TRADER.rank < Role.APPROVER.rank < Role.ADMIN.rank
    assert Role.ADMIN.allows(Role.TRADER) and not Role.TRADER.allows(Role.APPROVER)


def test_every_order_placing_tool_needs_at_least_a_trader():
    placing = [name for name, rule in POLICY.items() if rule.places_orders]
    assert "place_order" in placing
    for name in placing:
        assert POLICY[name].min_role.allows(Role.TRADER)
        for agent in AGENTS:
            assert not authorize_tool_call(agent, name, "viewer").allowed


def test_an_agent_may_not_call_another_agents_tool_even_for_an_admin():
    decision = authorize_tool_call("data", "place_order", "admin")
    assert isinstance(decision, Denied)
    assert decision.code is DenialCode.AGENT_NOT_ALLOWED
    assert decision.details["owners"] == ["execution"]
    assert "data agent may not call place_order" in decision.reason


@pytest.mark.parametrize("tool", ["approve_request", "reject_request", "update_settings", "enable_live_trading"])
@pytest.mark.parametrize("agent", AGENTS)
def test_no_agent_can_answer_approvals_or_change_settings_whatever_the_role(tool, agent):
    decision = authorize_tool_call(agent, tool, "admin")
    assert isinstance(decision, Denied) and decision.code is DenialCode.HUMAN_ONLY


def test_unknown_tools_and_agents_are_denied():
    assert authorize_tool_call("execution", "transfer_funds", "admin").code is DenialCode.UNKNOWN_TOOL
    assert authorize_tool_call("rogue", "recall", "admin").code is DenialCode.UNKNOWN_AGENT


def test_unknown_role_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown role 'superuser'"):
        authorize_tool_call("data", "recall", "superuser")


def test_a_viewer_gets_only_read_tools():
    viewer_exec = tools_for("execution", "viewer")
    assert "place_order" not in viewer_exec and "check_order_status" in viewer_exec
    assert "place_order" in tools_for("execution", "trader")


def test_every_tool_an_agent_is_built_with_is_authorised_for_that_agent():
    """The policy is the allow-list: a tool added to an agent in tools/registry.py without a policy
    row would be denied at run time, so this fails first."""
    from config import Settings
    from tools.context import ToolContext
    from tools.registry import build_tools

    built = build_tools(ToolContext(settings=Settings(home=tempfile.mkdtemp(prefix="qp-authz-"))))
    missing = [
        (agent, tool.name)
        for agent, tools in built.items()
        for tool in tools
        if not authorize_tool_call(agent, tool.name, "admin").allowed
    ]
    assert missing == []


def test_a_tool_needs_exactly_the_role_of_the_operation_it_performs():
    from guardrails.policy import POLICY as OPERATIONS

    for name, rule in POLICY.items():
        assert rule.min_role is OPERATIONS[rule.operation].min_role, name
