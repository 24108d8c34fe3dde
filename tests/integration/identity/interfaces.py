"""Each interface, driven as its users drive it, reduced to one question: was the caller refused permission?

A probe performs one operation as a person of one role and answers ``ALLOWED`` or ``DENIED``. Anything else a
probe meets (a 401, a 500, an unexpected exit code) fails the test at once: the matrix compares permissions,
and a broken interface must not pass for a refusal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from guardrails.authorization import POLICY as TOOLS
from guardrails.policy import Role
from tests.integration.api.conftest import auth
from tests.integration.cli_runner import run_cli
from tests.integration.slack.conftest import CHANNEL_ID, action_form, command_form, post_signed
from tests.integration.web.conftest import log_in

ALLOWED, DENIED = "allowed", "denied"


@dataclass
class World:
    """One install: the app (API, web, Slack), the MCP toolbox, and a stored person of every role."""

    app: Any
    client: TestClient
    database: Any
    toolbox: Any
    monkeypatch: Any
    keys: dict[Role, Any]  # role -> IssuedKey (user and key)
    slack_ids: dict[Role, str]
    requester: Any  # a trader who asks for every approval the deciders are given
    counter: list[int] = field(default_factory=lambda: [0])

    def user(self, role: Role) -> Any:
        return self.keys[role].user

    def unique(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}{self.counter[0]}"


Probe = Callable[[World, Role], str]


def _http(response, what: str) -> str:
    if response.status_code == 403:
        return DENIED
    malformed = response.status_code == 422 and "validation_error" in response.text
    assert response.status_code != 401 and response.status_code < 500 and not malformed, \
        f"{what}: {response.status_code} {response.text[:300]}"
    return ALLOWED


def api(method: str, path: str | Callable[[World], str], body: Callable[[World], Any] | None = None) -> Probe:
    def probe(world: World, role: Role) -> str:
        where = path(world) if callable(path) else path
        answer = world.client.request(method, where, json=body(world) if body else None,
                                      headers=auth(world.keys[role].api_key))
        return _http(answer, f"API {method} {where} as {role.value}")
    return probe


def web(path: str | Callable[[World], str], form: Callable[[World], dict] | None = None) -> Probe:
    def probe(world: World, role: Role) -> str:
        where = path(world) if callable(path) else path
        with TestClient(world.app, raise_server_exceptions=False) as browser:  # a browser of this person
            csrf = log_in(browser, world.keys[role].api_key)
            answer = browser.post(where, data={"csrf_token": csrf, **(form(world) if form else {})},
                                  follow_redirects=False)
        return _http(answer, f"web POST {where} as {role.value}")
    return probe


def cli(*args: str | Callable[[World], str]) -> Probe:
    def probe(world: World, role: Role) -> str:
        world.monkeypatch.setenv("QUANTPILOT_API_KEY", world.keys[role].api_key)
        argv = [a(world) if callable(a) else a for a in args]
        result = run_cli(*argv)
        if result.exit_code == 2 and "role;" in result.stderr and "needs the" in result.stderr:
            return DENIED
        assert result.exit_code in (0, 2), f"CLI {argv} as {role.value}: {result.exit_code} {result.stderr}"
        return ALLOWED
    return probe


def slack_command(text: str) -> Probe:
    def probe(world: World, role: Role) -> str:
        answer = post_signed(world.client, command_form(text, world.slack_ids[role]))
        assert answer.status_code == 200, answer.text
        return DENIED if ":no_entry:" in answer.json()["text"] else ALLOWED
    return probe


def slack_button(approval: Callable[[World], str]) -> Probe:
    def probe(world: World, role: Role) -> str:
        from memory.approvals import ApprovalStore

        approval_id = approval(world)
        answer = post_signed(world.client, action_form("qp_approve", approval_id, world.slack_ids[role],
                                                       "1700000000.000001"))
        assert answer.status_code == 200, answer.text
        return ALLOWED if ApprovalStore(world.database).get(approval_id).decision is not None else DENIED
    return probe


def _tool_outcome(payload: Any, what: str) -> str:
    if isinstance(payload, dict) and payload.get("code") in ("role_too_low", "forbidden"):
        return DENIED
    assert not (isinstance(payload, dict) and payload.get("code") == "unknown_tool"), what
    return ALLOWED


def mcp(tool: str, args: Callable[[World], dict] | None = None) -> Probe:
    def probe(world: World, role: Role) -> str:
        from api.mcp_server import McpCaller

        user = world.user(role)
        payload, _ = world.toolbox.call(McpCaller(user.name, role.value, user.id), tool, args(world) if args else {})
        return _tool_outcome(payload, f"MCP {tool}")
    return probe


def agent(tool: str, args: Callable[[World], dict] | None = None) -> Probe:
    """The tool as the agent that owns it calls it inside a turn (the graph's guard, then the tool)."""
    def probe(world: World, role: Role) -> str:
        from graph.context import GraphContext
        from graph.tool_guard import authorize, run_tool

        owner = sorted(TOOLS[tool].agents)[0]
        refused = authorize(owner, tool, role.value, TOOLS)
        if refused is not None:
            return _tool_outcome(refused, f"agent {tool}")
        user = world.user(role)
        scope = {"user": user.name, "role": role.value, "user_id": user.id, "channel": "graph"}
        payload, _ = run_tool(world.toolbox.tools[tool], args(world) if args else {}, scope, None, GraphContext())
        return _tool_outcome(payload, f"agent {tool}")
    return probe


def pending_approval(world: World) -> str:
    """A fresh limit-change request by the world's requester (someone else than every decider)."""
    from guardrails.policy import Channel
    from services.limits import LimitService
    from services.users import actor_of

    _, approval_id, _ = LimitService(world.database).propose(actor_of(world.requester.user, Channel.CLI),
                                                             {"max_open_positions": 7}, reason="matrix")
    return approval_id


def slack_card_channel() -> str:
    return CHANNEL_ID


def as_json(value: Any) -> str:
    return json.dumps(value)
