"""Fixtures for the identity and policy tests: the execution fixtures (bars, clock, paper broker, a strategy at
paper) and ``world``: one install with a stored person of every role on every interface."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.integration.execution.conftest import bars, broker, clock, paper_strategy, service, settings  # noqa: F401
from tests.integration.identity.interfaces import World
from tests.integration.mcp.conftest import recent_bars  # noqa: F401
from tests.integration.slack.conftest import BOT_TOKEN, SIGNING_SECRET, fake_slack, slack_env  # noqa: F401


@pytest.fixture()
def world(database, recent_bars, slack_env, monkeypatch) -> Iterator[World]:  # noqa: F811
    from api.app import create_app
    from api.mcp_server import product_toolbox
    from api.slack.runtime import build_runtime
    from config import Settings
    from guardrails.policy import Role
    from memory.approvals import ApprovalStore
    from memory.slack_users import SlackUserLinks
    from memory.strategies import StrategyRegistry
    from memory.users import UserStore
    from services.approvals import ApprovalService
    from tests.integration.api.conftest import make_settings
    from tests.integration.execution.conftest import approve_stage
    from tests.integration.web.conftest import graphless_chat

    slack_settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)
    users, links = UserStore(database), SlackUserLinks(database)
    keys, slack_ids = {}, {}
    for role in Role:
        keys[role] = users.add(f"{role.value}-person", role)
        slack_ids[role] = f"U0{role.value.upper()[:6]}01"
        links.link(keys[role].user.name, slack_ids[role])
    requester = users.add("requester", Role.TRADER)
    StrategyRegistry(database).register("trend", "trend", "sma_crossover", {"fast": 5, "slow": 20})
    approve_stage(database, "trend", "paper")

    app = create_app(make_settings(), database=database, settings=slack_settings)
    app.state.web_chat = graphless_chat(database)
    app.state.slack_runtime = build_runtime(slack_settings, database,
                                            approvals=lambda: ApprovalService(ApprovalStore(database)))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(app, client, database, product_toolbox(slack_settings, database), monkeypatch, keys, slack_ids,
                    requester)
