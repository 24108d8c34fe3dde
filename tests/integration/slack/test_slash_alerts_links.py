"""``/quantpilot`` (status, positions, kill switch on) by role; alerts and the daily summary in the alerts
channel; Slack user links follow the API user's state."""

from __future__ import annotations

import pytest

from tests.integration.slack.conftest import command_form, post_signed
from tests.support.people import SYSTEM


def _state(database):
    from memory.trading_state import TradingStateStore

    return TradingStateStore(database).current().status.value


def test_status_answers_the_trading_state_to_a_linked_user(client, people):
    answer = post_signed(client, command_form("status", people["tom"]))

    assert answer.status_code == 200
    assert answer.json()["response_type"] == "ephemeral"
    assert "*Trading state:* ACTIVE" in answer.json()["text"]


def test_positions_lists_cash_and_equity(client, people):
    answer = post_signed(client, command_form("positions", people["tom"]))

    assert answer.json()["text"].startswith("*Positions*\n```account paper") and "equity $" in answer.json()["text"]


def test_kill_switch_on_from_an_approver_halts_trading_and_is_announced_in_channel(client, database, people):
    answer = post_signed(client, command_form("kill switch on fat finger", people["alice"]))

    assert answer.json()["response_type"] == "in_channel"
    assert "HALTED by *alice*" in answer.json()["text"]
    assert _state(database) == "halted"


def test_a_kill_switch_reason_holding_a_pasted_api_key_is_stored_masked(client, database, people):
    from sqlalchemy import text

    key = "qp_0123456789ab_" + "PastedByMistake0" * 3

    answer = post_signed(client, command_form(f"kill switch on leaked {key}", people["alice"]))

    assert "HALTED by *alice*" in answer.json()["text"] and key not in answer.text
    with database.engine.connect() as conn:
        reasons = conn.execute(text("SELECT reason FROM trading_state_events")).scalars().all()
        audit = conn.execute(text("SELECT payload::text FROM audit_log")).scalars().all()
    assert reasons == ["kill switch: leaked [REDACTED:quantpilot_key]"]
    assert audit and not [p for p in audit if key in p]


def test_kill_switch_on_from_a_viewer_is_refused_and_trading_stays_active(client, database, people):
    answer = post_signed(client, command_form("kill switch on", people["vic"]))

    assert "needs the trader role" in answer.json()["text"]
    assert _state(database) == "active"


def test_a_trader_may_engage_the_kill_switch_from_slack_as_everywhere_else(client, database, people):
    answer = post_signed(client, command_form("kill switch on fat finger", people["tom"]))

    assert "HALTED by *tom*" in answer.json()["text"]
    assert _state(database) == "halted"


def test_unlinked_user_gets_the_link_command(client, people):
    answer = post_signed(client, command_form("status", "UNOBODY02"))

    assert "quantpilot users link-slack NAME UNOBODY02" in answer.json()["text"]


@pytest.mark.parametrize(("text", "expected"), [
    ("", ("help", "")), ("kill switch on fat finger", ("kill", "fat finger")),
    ("kill switch off", ("kill-usage", "")), ("STATUS", ("status", ""))])
def test_slash_text_is_parsed_into_a_subcommand(text, expected):
    from api.slack.slash import parse

    assert parse(text) == expected


def test_alert_and_daily_summary_are_posted_to_the_alerts_channel(runtime, fake_slack):
    from api.slack.publisher import SlackPublisher
    from quant.monitoring.alerts import Alert, Severity
    from services.daily_summary import generate_daily_summary

    publisher = SlackPublisher(runtime)
    delivered = publisher.post_alert(Alert("breaker:daily_loss", "Daily loss limit hit", "down 3.1% today",
                                           Severity.CRITICAL))
    publisher.post_daily_summary(generate_daily_summary(runtime.execution(), SYSTEM))

    posts = fake_slack.of("chat.postMessage")
    assert delivered.delivered
    assert [p.args["channel"] for p in posts] == ["#alerts", "#alerts"]
    assert "Daily loss limit hit" in posts[0].args["text"]
    assert posts[1].args["text"].startswith("Daily summary")
    assert "Trading state: ACTIVE" in posts[1].args["blocks"][1]["text"]["text"]


def test_linking_needs_an_active_user_and_a_slack_member_id(database):
    from errors import ConfigError, NotFoundError
    from guardrails.policy import Role
    from memory.slack_users import SlackUserLinks
    from memory.users import UserStore

    links = SlackUserLinks(database)
    with pytest.raises(NotFoundError):
        links.link("ghost", "UGHOST001")
    UserStore(database).add("carol", Role.VIEWER)
    with pytest.raises(ConfigError):
        links.link("carol", "not-an-id")
    link = links.link("carol", "ucarol001")

    assert link.slack_user_id == "UCAROL001"
    assert links.resolve("UCAROL001").role is Role.VIEWER
    links.unlink("UCAROL001")
    assert links.resolve("UCAROL001") is None
