"""Per-user limits on running chat turns count every interface together (API, OpenAI-compatible, web, MCP):
over the limit each answers 429 with Retry-After (MCP: a refused call saying when to retry). The MCP HTTP
server limits failed keys per address and requests per user."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from guardrails.policy import Channel, Role
from tests.integration.abuse.conftest import auth, make_settings
from tests.support.asgi_server import serving_app

HELP = {"message": "help"}
CHAT = {"model": "quantpilot", "messages": [{"role": "user", "content": "help"}]}


@pytest.fixture()
def one_turn_each(configure):
    configure(QUANTPILOT_CHAT_TURNS_PER_USER=1, QUANTPILOT_QUOTA_RETRY_AFTER_S=7)


def _actor(database, key: str, channel: Channel):
    from memory.users import UserStore
    from services.users import actor_of

    return actor_of(UserStore(database).authenticate(key), channel)


def test_a_turn_running_on_the_web_page_makes_the_users_next_turn_429_on_every_other_interface(
        database, loaded, keys, one_turn_each):
    from api.app import create_app
    from api.mcp_server import McpCaller, product_toolbox
    from config import get_settings
    from services.quotas import UsageQuotas
    from tests.integration.web.conftest import graphless_chat, log_in

    trader = _actor(database, keys[Role.TRADER], Channel.WEB)
    running = UsageQuotas(database).start_turn(trader)  # the trader's turn in progress on the web page
    app = create_app(make_settings(), database=database)
    app.state.web_chat = graphless_chat(database)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.post("/api/v1/threads/thr_quota0000001/runs", json=HELP, headers=auth(keys[Role.TRADER]))
        openai = client.post("/v1/chat/completions", json=CHAT, headers=auth(keys[Role.TRADER]))
        someone_else = client.post("/api/v1/threads/thr_quota0000002/runs", json=HELP,
                                   headers=auth(keys[Role.VIEWER]))
        csrf = log_in(client, keys[Role.TRADER])
        web = client.post("/web/chat/stream", data={"message": "help", "csrf_token": csrf},
                          headers={"X-CSRF-Token": csrf})
    mcp, ok = product_toolbox(get_settings(), database).call(
        McpCaller(trader.name, "trader", trader.user_id), "list_strategies", {})
    running.end()
    with TestClient(app, raise_server_exceptions=False) as client:
        afterwards = client.post("/api/v1/threads/thr_quota0000001/runs", json=HELP, headers=auth(keys[Role.TRADER]))

    for answer in (api, openai):
        assert answer.status_code == 429, answer.text
        assert answer.headers["retry-after"] == "7"
        error = answer.json()["error"]
        assert error["code"] == "turn_quota_exceeded" and "QUANTPILOT_CHAT_TURNS_PER_USER=1" in error["message"]
    assert web.status_code == 429 and web.headers["retry-after"] == "7"
    assert "chat turns running" in web.text and "retry in about 7 s" in web.text
    assert not ok and mcp["code"] == "turn_quota_exceeded" and mcp["retry_after_s"] == 7
    assert someone_else.status_code == 200, someone_else.text  # counted per user
    assert afterwards.status_code == 200, afterwards.text  # the place is free once the turn ended


def test_a_finished_or_failed_turn_gives_its_place_back(database, loaded, keys, one_turn_each):
    from api.app import create_app

    app = create_app(make_settings(), database=database)
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = [client.post("/api/v1/threads/thr_quota0000003/runs", json=body, headers=auth(keys[Role.TRADER]))
                   for body in (HELP, {"message": "x" * 9000}, HELP)]  # the second is refused by the turn itself

    assert [a.status_code for a in answers] == [200, 422, 200], [a.text[:200] for a in answers]


def _ok_app():
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
    return app


def test_the_mcp_http_gate_limits_failed_keys_per_address_and_requests_per_user(database, keys):
    from api.mcp_server import BearerGate, caller_from_key
    from api.security import RequestLimiter
    from memory.users import UserStore

    store = UserStore(database)
    gate = BearerGate(_ok_app(), lambda key: caller_from_key(store, key), RequestLimiter("2/minute", "3/minute"))
    with serving_app(gate) as base, httpx.Client(base_url=base, timeout=10) as client:
        forged = [client.post("/mcp", headers={"Authorization": "Bearer qp_000000000000_forged"}).status_code
                  for _ in range(4)]
        good = [client.post("/mcp", headers={"Authorization": f"Bearer {keys[Role.TRADER]}"}) for _ in range(3)]

    assert forged == [401, 401, 401, 429]
    assert [g.status_code for g in good] == [200, 200, 429]
    assert int(good[2].headers["retry-after"]) >= 1
    assert good[2].json()["error"]["code"] == "rate_limited"


def test_slack_actions_count_against_the_same_per_user_request_limit_as_the_users_api_key(database, keys):
    from api.security import RequestLimiter
    from api.slack.runtime import SlackRefusal, slack_actor
    from memory.slack_users import SlackUserLinks
    from memory.users import UserStore

    links = SlackUserLinks(database)
    links.link("trader-user", "U0TRADER")
    limiter = RequestLimiter("2/minute", "30/minute")
    limiter.hit_user(UserStore(database).authenticate(keys[Role.TRADER]).id)  # one API request of the trader

    def count(actor):
        limiter.hit_user(actor.user_id)

    first = slack_actor(links, "U0TRADER", count)
    second = slack_actor(links, "U0TRADER", count)

    assert not isinstance(first, SlackRefusal) and first.name == "trader-user"
    assert isinstance(second, SlackRefusal) and second.code == "rate_limited"
    assert "Slack together" in second.message and int(second.details["Retry-After"]) >= 1
