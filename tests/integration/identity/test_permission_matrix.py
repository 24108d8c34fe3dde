"""The permission matrix, generated from the one policy table: every operation, as every role, through every
interface that offers it (API, web, Slack, MCP, the agents' tools, the CLI), is allowed exactly when the table
says so. An interface with a rule of its own — stricter or looser — fails here."""

from __future__ import annotations

import pytest

from guardrails.policy import POLICY, Operation, Role, allows
from tests.integration.identity.interfaces import (
    ALLOWED,
    DENIED,
    World,
    agent,
    api,
    cli,
    mcp,
    pending_approval,
    slack_button,
    slack_command,
    web,
)

_O = Operation
ORDER = {"symbol": "AAA", "side": "buy", "qty": 1}
BACKTEST = {"strategy_config": {"strategy": "sma_crossover", "symbols": ["AAA"], "params": {"fast": 5, "slow": 20}}}

PROBES: dict[Operation, dict[str, object]] = {
    _O.READ_MARKET_DATA: {"api": api("GET", "/api/v1/data/symbols"), "cli": cli("data", "list", "--json"),
                          "mcp": mcp("check_data_freshness"), "agent": agent("validate_data_quality",
                                                                             lambda w: {"symbol": "AAA"})},
    _O.ANALYSE: {"mcp": mcp("compute_features", lambda w: {"symbol": "AAA", "lookback": 20}),
                 "agent": agent("compute_features", lambda w: {"symbol": "AAA", "lookback": 20})},
    _O.READ_RESEARCH: {"api": api("GET", "/api/v1/backtests"), "cli": cli("backtest", "compare", "999", "--json")},
    _O.READ_STRATEGIES: {"api": api("GET", "/api/v1/strategies"), "mcp": mcp("list_strategies")},
    _O.READ_APPROVALS: {"api": api("GET", "/api/v1/approvals"), "cli": cli("approvals", "list", "--json")},
    _O.READ_TRADING: {"api": api("GET", "/api/v1/positions"), "cli": cli("positions", "--json"),
                      "slack": slack_command("positions"), "slack-check": slack_command("check buy 1 AAA"),
                      "mcp": mcp("get_positions"), "agent": agent("get_risk_limits")},
    _O.CHAT: {"api": api("POST", "/api/v1/threads", lambda w: {"title": "matrix"})},
    _O.LOAD_DATA: {"api": api("POST", "/api/v1/data/load", lambda w: {"source": "synthetic", "symbols": ["CCC"],
                                                                      "start": "2024-01-02", "end": "2024-01-31"}),
                   "cli": cli("data", "load", "--source", "synthetic", "--symbols", "DDD", "--start", "2024-01-02",
                              "--end", "2024-01-31", "--json")},
    _O.RUN_RESEARCH: {"api": api("POST", "/api/v1/portfolio/optimize",
                                 lambda w: {"method": "min_volatility", "symbols": ["AAA", "BBB"]}),
                      "cli": cli("backtest", "run", "--strategy", "sma_crossover", "--symbols", "AAA", "--param",
                                 "fast=5", "--param", "slow=20", "--json"),
                      "mcp": mcp("backtest_strategy", lambda w: BACKTEST),
                      "agent": agent("backtest_strategy", lambda w: BACKTEST)},
    _O.MANAGE_STRATEGY: {"api": api("POST", "/api/v1/strategies", lambda w: {
        "id": w.unique("matrix_sma_"), "kind": "sma_crossover", "params": {"fast": 5, "slow": 20}})},
    _O.REQUEST_PROMOTION: {"mcp": mcp("request_promotion", lambda w: {"strategy_id": "trend", "to_stage": "live"}),
                           "agent": agent("request_promotion",
                                          lambda w: {"strategy_id": "trend", "to_stage": "live"})},
    _O.PLACE_ORDER: {"api": api("POST", "/api/v1/orders", lambda w: {**ORDER, "strategy_id": "manual",
                                                                      "decision_key": w.unique("matrix-")}),
                     "mcp": mcp("place_order", lambda w: {"order": ORDER}),
                     "agent": agent("place_order", lambda w: {"order": ORDER})},
    _O.CANCEL_ORDER: {"api": api("POST", "/api/v1/orders/qp-none/cancel"), "cli": cli("orders", "cancel", "qp-none")},
    _O.RECONCILE: {"api": api("POST", "/api/v1/positions/reconcile"), "cli": cli("reconcile", "--json"),
                   "mcp": mcp("reconcile_positions")},
    _O.PROPOSE_LIMIT_CHANGE: {
        "api": api("POST", "/api/v1/risk/proposals", lambda w: {"changes": {"max_open_positions": 8},
                                                                "reason": "matrix"}),
        "cli": cli("risk", "propose", "--set", "max_open_positions=8", "--reason", "matrix", "--json"),
        "web": web("/web/controls/limits", lambda w: {"limit": "max_open_positions", "value": "8"}),
        "mcp": mcp("propose_risk_limit_change", lambda w: {"changes": {"max_open_positions": 8}, "reason": "m"})},
    _O.APPLY_LIMIT_CHANGE: {"api": api("POST", "/api/v1/risk/proposals/lc_none/apply"),
                            "cli": cli("risk", "apply", "lc_none"),
                            "web": web("/web/controls/limits/lc_none/apply")},
    _O.ENGAGE_KILL_SWITCH: {"api": api("POST", "/api/v1/risk/kill-switch", lambda w: {"reason": "matrix"}),
                            "cli": cli("kill-switch", "on", "--reason", "matrix", "--json"),
                            "web": web("/web/controls/kill-switch", lambda w: {"reason": "matrix"}),
                            "slack": slack_command("kill switch on matrix"),
                            "mcp": mcp("set_kill_switch", lambda w: {"engaged": True, "reason": "matrix"}),
                            "agent": agent("set_kill_switch", lambda w: {"engaged": True, "reason": "matrix"})},
    _O.FLATTEN_POSITIONS: {"api": api("POST", "/api/v1/risk/kill-switch", lambda w: {"reason": "m", "flatten": True}),
                           "cli": cli("kill-switch", "on", "--flatten", "--json"),
                           "web": web("/web/controls/kill-switch", lambda w: {"reason": "m", "flatten": "on"})},
    _O.REQUEST_RESUME: {"api": api("POST", "/api/v1/risk/kill-switch/release-request", lambda w: {"reason": "m"}),
                        "cli": cli("kill-switch", "request-off", "--reason", "matrix", "--json"),
                        "web": web("/web/controls/resume-request", lambda w: {"reason": "matrix"})},
    _O.RESUME_TRADING: {"api": api("POST", "/api/v1/risk/kill-switch/release",
                                   lambda w: {"approval_id": "apr_none0000000"}),
                        "cli": cli("kill-switch", "off", "--approval", "apr_none0000000", "--json"),
                        "web": web("/web/controls/resume/apr_none0000000")},
    _O.DECIDE_APPROVAL: {"api": api("POST", lambda w: f"/api/v1/approvals/{pending_approval(w)}/approve"),
                         "cli": cli("approvals", "approve", pending_approval, "--json"),
                         "web": web(lambda w: f"/web/approvals/{pending_approval(w)}/approve"),
                         "slack": slack_button(pending_approval)},
    _O.SEND_ALERT: {"mcp": mcp("send_alert", lambda w: {"message": "matrix alert", "severity": "info"})},
    _O.READ_USERS: {"api": api("GET", "/api/v1/users"), "cli": cli("users", "list", "--json")},
    _O.MANAGE_USERS: {"api": api("POST", "/api/v1/users", lambda w: {"name": w.unique("newbie"), "role": "viewer"}),
                      "cli": cli("users", "add", lambda w: w.unique("cliuser"), "--role", "viewer", "--json")},
    _O.LINK_SLACK: {"cli": cli("users", "link-slack", "viewer-person", lambda w: f"U0LINK{w.unique('')}0")},
    _O.READ_AUDIT: {"api": api("GET", "/api/v1/audit/verify"), "cli": cli("audit", "verify", "--json")},
    _O.READ_USAGE: {"api": api("GET", "/api/v1/usage"), "cli": cli("usage", "--since", "7d", "--json")},
    _O.READ_ALL_USAGE: {"api": api("GET", "/api/v1/usage?user=someone-else"),
                        "cli": cli("usage", "--user", "someone-else", "--json")},
    _O.RUN_PAPER: {"cli": cli("paper", "run", "--strategy", "trend", "--symbols", "AAA", "--json")},
    _O.MOVE_MARKET_CLOCK: {"api": api("POST", "/api/v1/clock/advance", lambda w: {"days": 1}),
                           "cli": cli("paper", "clock", "advance", "--json"),
                           "web": web("/web/controls/clock/advance", lambda w: {"days": "1"}),
                           "slack": slack_command("clock advance 1")},
    _O.REQUEST_BREAKER_RESET: {
        "api": api("POST", "/api/v1/risk/breaker/reset-request", lambda w: {"reason": "matrix"}),
        "cli": cli("risk", "reset-breaker", "request", "--reason", "matrix", "--json"),
        "web": web("/web/controls/breaker-reset-request", lambda w: {"reason": "matrix"})},
    _O.RESET_BREAKER: {"api": api("POST", "/api/v1/risk/breaker/reset", lambda w: {"approval_id": "apr_none0000000"}),
                       "cli": cli("risk", "reset-breaker", "apply", "--approval", "apr_none0000000", "--json"),
                       "web": web("/web/controls/breaker-reset", lambda w: {"approval_id": "apr_none0000000"})},
}
NO_INTERFACE = {_O.CHANGE_SETTINGS: "settings come from the environment; no interface changes them"}
CASES = [(op, name) for op, probes in PROBES.items() for name in probes]


def test_every_operation_of_the_policy_table_is_probed_through_an_interface():
    assert set(PROBES) | set(NO_INTERFACE) == set(POLICY)


@pytest.mark.parametrize(("operation", "interface"), CASES, ids=[f"{o.value}-{i}" for o, i in CASES])
def test_the_same_operation_gets_the_same_answer_for_every_role_on_every_interface(world: World, operation,
                                                                                     interface):
    probe = PROBES[operation][interface]
    outcomes = {role: probe(world, role) for role in Role}

    expected = {role: ALLOWED if allows(role, operation) else DENIED for role in Role}
    assert outcomes == expected, f"{operation.value} through {interface}"
