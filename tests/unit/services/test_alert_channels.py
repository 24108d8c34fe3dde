"""Alert channels against local fake servers, deduplication, channel isolation, and redaction of what they write."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from errors import ConfigError
from quant.monitoring.alerts import Alert, AlertDeduplicator, DedupDecision, Severity
from services.alerts import AlertChannel, AlertDispatcher, DeliveryResult, LogChannel, SlackChannel, WebhookChannel

STALE = Alert("staleness:AAPL", "Stale data: AAPL", "last bar 3 sessions ago", Severity.WARNING,
              {"sessions_behind": 3, "webhook_token": "abc123secret"})


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> DeliveryResult:
        self.sent.append(alert)
        return DeliveryResult(self.name, True)


class Exploding:
    name = "exploding"

    def send(self, alert: Alert) -> DeliveryResult:
        raise RuntimeError("channel down")


def test_a_condition_alerts_once_until_it_clears_and_recurs():
    channel = Recording()
    dispatcher = AlertDispatcher([channel], notify_resolved=False)

    for active in (True, True, True, False, False, True, True):
        dispatcher.observe(STALE, active)

    assert len(channel.sent) == 2


def test_clearing_sends_one_resolved_notice_when_asked():
    channel = Recording()
    dispatcher = AlertDispatcher([channel], notify_resolved=True)

    for active in (True, True, False, False):
        dispatcher.observe(STALE, active)

    assert [a.title for a in channel.sent] == ["Stale data: AAPL", "Resolved: Stale data: AAPL"]
    assert channel.sent[1].severity is Severity.INFO


def test_deduplication_is_per_condition_key():
    dedup = AlertDeduplicator()
    assert dedup.observe("staleness:AAPL", True) is DedupDecision.FIRE
    assert dedup.observe("staleness:MSFT", True) is DedupDecision.FIRE
    assert dedup.observe("staleness:AAPL", True) is DedupDecision.SUPPRESS
    assert dedup.observe("breaker:daily_loss", False) is DedupDecision.QUIET
    assert dedup.active_keys() == {"staleness:AAPL", "staleness:MSFT"}


def test_a_failing_channel_does_not_stop_the_others():
    good = Recording()
    results = AlertDispatcher([Exploding(), good]).send(STALE)

    assert [r.delivered for r in results] == [False, True]
    assert "channel down" in results[0].detail
    assert len(good.sent) == 1


def test_channels_satisfy_the_protocol(fake_server):
    channels = [LogChannel(), WebhookChannel(fake_server.url), SlackChannel(webhook=WebhookClient(fake_server.url))]
    assert all(isinstance(c, AlertChannel) for c in channels)


def test_webhook_posts_the_alert_as_json_with_secrets_masked(fake_server):
    result = WebhookChannel(f"{fake_server.url}/hooks/alerts", headers={"X-Source": "quantpilot"}).send(STALE)

    assert result.delivered and result.status_code == 200
    [request] = fake_server.requests
    assert request.path == "/hooks/alerts"
    assert request.headers["x-source"] == "quantpilot"
    assert request.body["key"] == "staleness:AAPL" and request.body["severity"] == "warning"
    assert request.body["details"] == {"sessions_behind": 3, "webhook_token": "[REDACTED:secret]"}


def test_webhook_reports_a_server_error_as_not_delivered(fake_server):
    fake_server.status, fake_server.reply = 503, "maintenance"
    result = WebhookChannel(fake_server.url).send(STALE)
    assert (result.delivered, result.status_code, result.detail) == (False, 503, "maintenance")


def test_webhook_gives_up_after_its_timeout(fake_server):
    fake_server.delay_s = 1.0
    result = WebhookChannel(fake_server.url, timeout_s=0.1).send(STALE)
    assert not result.delivered and "Timeout" in result.detail


def test_webhook_uses_an_injected_client(fake_server):
    with httpx.Client() as client:
        assert WebhookChannel(fake_server.url, client=client).send(STALE).delivered
    assert len(fake_server.requests) == 1


def test_slack_incoming_webhook_receives_text_and_blocks(fake_server):
    fake_server.reply = "ok"
    result = SlackChannel(webhook=WebhookClient(f"{fake_server.url}/services/T0/B0/X")).send(STALE)

    assert result.delivered
    [request] = fake_server.requests
    assert request.path == "/services/T0/B0/X"
    assert request.body["text"] == "[WARNING] Stale data: AAPL: last bar 3 sessions ago"
    assert "*Stale data: AAPL*" in request.body["blocks"][0]["text"]["text"]


def test_slack_chat_post_message_goes_to_the_api_with_the_bot_token(fake_server):
    client = WebClient(token="xoxb-test-token-123", base_url=f"{fake_server.url}/api/")
    result = SlackChannel(client=client, channel="#alerts").send(STALE)

    assert result.delivered
    [request] = fake_server.requests
    assert request.path == "/api/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-test-token-123"
    assert request.body["channel"] == "#alerts"
    assert request.body["text"].startswith("[WARNING] Stale data: AAPL")
    assert request.body["blocks"][1]["elements"][0]["text"].endswith("`staleness:AAPL`")


def test_slack_api_refusal_is_not_delivered_and_says_why(fake_server):
    fake_server.reply = {"ok": False, "error": "channel_not_found"}
    client = WebClient(token="xoxb-test-token-123", base_url=f"{fake_server.url}/api/")
    result = SlackChannel(client=client, channel="#nope").send(STALE)
    assert not result.delivered and "channel_not_found" in result.detail


def test_slack_channel_needs_exactly_one_client():
    with pytest.raises(ConfigError):
        SlackChannel()
    with pytest.raises(ConfigError, match="channel"):
        SlackChannel(client=WebClient(token="xoxb-x"))


def test_log_channel_always_delivers():
    assert LogChannel().send(STALE).delivered


def test_log_channel_writes_one_json_line_to_stderr_and_nothing_to_stdout(capsys):
    import json

    LogChannel().send(STALE)  # structlog is not configured here: the process's default log
    written = capsys.readouterr()
    line = json.loads(written.err)
    assert written.out == ""  # stdout carries what people read: a CLI answer, a piped --json
    assert (line["event"], line["level"], line["key"], line["logger"]) == ("alert", "warning", "staleness:AAPL",
                                                                          "quantpilot.alerts")
    assert line["details"]["webhook_token"] != "abc123secret"


QP_KEY = "qp_0123456789ab_" + "S" * 43


def test_every_channel_writes_a_pasted_quantpilot_key_masked(fake_server):
    leaky = Alert("tool:paste", f"key {QP_KEY}", f"the user pasted {QP_KEY} in chat", Severity.CRITICAL,
                  {"note": f"see {QP_KEY}"})
    fake_server.reply = "ok"
    logged = []

    class Capture:
        def critical(self, event, **fields):
            logged.append({"event": event, **fields})

        error = warning = info = critical

    WebhookChannel(f"{fake_server.url}/hooks").send(leaky)
    SlackChannel(webhook=WebhookClient(f"{fake_server.url}/services/T0/B0/X")).send(leaky)
    LogChannel(Capture()).send(leaky)

    written = repr([r.body for r in fake_server.requests]) + repr(logged)
    assert len(fake_server.requests) == 2 and logged
    assert QP_KEY not in written and QP_KEY[16:] not in written
    assert "[REDACTED:quantpilot_key]" in written
