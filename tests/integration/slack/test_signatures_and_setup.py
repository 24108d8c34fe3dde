"""The Slack route: 503 until configured; only correctly signed, fresh requests are acted on."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.integration.slack.conftest import action_form, post_signed


def _decisions(database) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM approval_decisions")).scalar_one()


def test_slack_route_answers_503_with_a_clear_json_message_when_not_configured(database, slack_env):
    from api.app import create_app
    from config import Settings
    from tests.integration.api.conftest import make_settings

    app = create_app(make_settings(), database=database, settings=Settings())
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/slack/events", content="payload=%7B%7D",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "slack_not_configured"
    assert set(error["details"]["missing"]) == {"QUANTPILOT_SLACK_BOT_TOKEN", "QUANTPILOT_SLACK_SIGNING_SECRET"}


def test_request_signed_with_another_secret_is_refused_and_changes_nothing(client, database, people, pending,
                                                                            card, fake_slack):
    calls_before = len(fake_slack.calls)
    answer = post_signed(client, action_form("qp_approve", pending, people["alice"], card), secret="not-the-secret")

    assert answer.status_code == 401
    assert _decisions(database) == 0
    assert len(fake_slack.calls) == calls_before


def test_unsigned_request_is_refused(client, database, people, pending, card):
    from urllib.parse import urlencode

    answer = client.post("/slack/events", content=urlencode(action_form("qp_approve", pending, people["alice"], card)),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert answer.status_code == 401
    assert _decisions(database) == 0


def test_correctly_signed_request_older_than_five_minutes_is_refused_as_a_replay(client, database, people, pending,
                                                                                 card):
    stale = post_signed(client, action_form("qp_approve", pending, people["alice"], card), age_s=5 * 60 + 30)
    fresh = post_signed(client, action_form("qp_approve", pending, people["alice"], card), age_s=4 * 60)

    assert stale.status_code == 401
    assert fresh.status_code == 200
    assert _decisions(database) == 1


def test_tampered_body_fails_the_signature_check(client, database, people, pending, card):
    import time
    from urllib.parse import urlencode

    from tests.integration.slack.conftest import sign

    signed_for = urlencode(action_form("qp_approve", pending, people["tom"], card))
    sent = urlencode(action_form("qp_approve", pending, people["alice"], card))
    answer = client.post("/slack/events", content=sent, headers=sign(signed_for, int(time.time())))

    assert answer.status_code == 401
    assert _decisions(database) == 0


def test_a_signed_request_is_accepted_once_and_its_replay_inside_the_window_is_refused(client, database, people):
    """A captured ``kill switch on`` sent again within Slack's five minutes makes no second halt."""
    import time
    from urllib.parse import urlencode

    from tests.integration.slack.conftest import command_form, sign

    body = urlencode(command_form("kill switch on captured", people["alice"]))
    headers = sign(body, int(time.time()))

    first = client.post("/slack/events", content=body, headers=headers)
    replay = client.post("/slack/events", content=body, headers=headers)

    assert first.status_code == 200 and "HALTED" in first.json()["text"]
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "replayed_request"
    with database.engine.connect() as conn:
        halts = conn.execute(text("SELECT count(*) FROM trading_state_events WHERE to_status = 'halted'")).scalar()
    assert halts == 1
