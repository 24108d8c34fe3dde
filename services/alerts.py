"""The channels that carry alerts — log, generic JSON webhook, Slack — plugins behind one ``AlertChannel``
protocol, and the dispatcher that sends each condition once (``quant.monitoring.alerts.AlertDeduplicator``).

Every channel writes the alert redacted (``guardrails.redaction``): a secret in a title, a message or the
details never leaves in a webhook body, a Slack message or a log line. ``SlackChannel`` takes a ready
slack-sdk client (``WebhookClient`` or ``WebClient``), so tests pass a client pointed at a local fake
server. A channel never raises: every outcome is a ``DeliveryResult``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from errors import ConfigError
from guardrails.redaction import redact, redact_value
from quant.monitoring.alerts import Alert, AlertDeduplicator, DedupDecision, Severity

if TYPE_CHECKING:
    import httpx


def redacted(alert: Alert) -> dict[str, Any]:
    """``alert.to_dict()`` with secrets and personal data masked: what a channel writes."""
    return redact_value(alert.to_dict())


@dataclass(frozen=True)
class DeliveryResult:
    channel: str
    delivered: bool
    detail: str = ""
    status_code: int | None = None


@runtime_checkable
class AlertChannel(Protocol):
    name: str

    def send(self, alert: Alert) -> DeliveryResult: ...


def process_log(name: str) -> Any:
    """The process's structured log: as configured (``quant.monitoring.logging.configure_logging``), else one JSON
    line per event on stderr. Never stdout: that carries what people read (a CLI answer, a piped ``--json``)."""
    import structlog  # here: a read command that only might raise an alert never pays for the logging library

    if structlog.is_configured():
        return structlog.get_logger(name)
    return structlog.wrap_logger(structlog.PrintLogger(sys.stderr), processors=[
        structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.JSONRenderer(sort_keys=True)]).bind(logger=name)


class LogChannel:
    """Writes the alert as a structured log line (always available; the fallback channel)."""

    def __init__(self, logger: Any = None, name: str = "log"):
        self.name = name
        self._log = logger  # None: the process's log, looked up on the first alert (most processes send none)

    def send(self, alert: Alert) -> DeliveryResult:
        method = {Severity.INFO: "info", Severity.WARNING: "warning", Severity.CRITICAL: "error"}[alert.severity]
        if self._log is None:
            self._log = process_log("quantpilot.alerts")
        getattr(self._log, method)("alert", **redacted(alert))
        return DeliveryResult(self.name, True, "logged")


class WebhookChannel:
    """POSTs the redacted ``alert.to_dict()`` as JSON to ``url``; delivered on a 2xx answer within ``timeout_s``
    seconds."""

    def __init__(self, url: str, *, timeout_s: float = 5.0, headers: Mapping[str, str] | None = None,
                 client: httpx.Client | None = None, name: str = "webhook"):
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"webhook URL must be http(s), got {redact(url)!r}", details={"field": "url"})
        self.name = name
        self._url = url
        self._timeout_s = timeout_s
        self._headers = dict(headers or {})
        self._client = client

    def send(self, alert: Alert) -> DeliveryResult:
        import httpx  # here: importing the alert service costs a read command nothing until a webhook is sent

        try:
            if self._client is not None:
                response = self._client.post(self._url, json=redacted(alert), headers=self._headers,
                                             timeout=self._timeout_s)
            else:
                with httpx.Client(timeout=self._timeout_s) as client:
                    response = client.post(self._url, json=redacted(alert), headers=self._headers)
        except httpx.HTTPError as exc:
            return DeliveryResult(self.name, False, f"{type(exc).__name__}: {redact(str(exc))}")
        ok = response.is_success
        return DeliveryResult(self.name, ok, "" if ok else redact(response.text[:200]), response.status_code)


class SlackWebhookSender(Protocol):
    """What ``slack_sdk.webhook.WebhookClient`` offers."""

    def send(self, *, text: str, blocks: Sequence[Mapping[str, Any]] | None = None) -> Any: ...


class SlackChatClient(Protocol):
    """What ``slack_sdk.WebClient`` offers (``chat_postMessage`` raises ``SlackApiError`` on ok=false)."""

    def chat_postMessage(self, *, channel: str, text: str, blocks: Any = None) -> Any: ...  # noqa: N802


_SEVERITY_EMOJI = {Severity.INFO: ":information_source:", Severity.WARNING: ":warning:",
                   Severity.CRITICAL: ":rotating_light:"}


def slack_blocks(alert: Alert) -> list[dict[str, Any]]:
    """Block Kit for an alert: a header line, the message, then severity and condition key."""
    data = redacted(alert)
    headline = f"{_SEVERITY_EMOJI[alert.severity]} *{data['title']}*\n{data['message']}"
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
        {"type": "context", "elements": [{"type": "mrkdwn",
                                          "text": f"severity: {data['severity']} · condition: `{data['key']}`"}]},
    ]


class SlackChannel:
    """Posts to Slack through an incoming webhook or ``chat.postMessage`` — pass exactly one client."""

    def __init__(self, *, webhook: SlackWebhookSender | None = None, client: SlackChatClient | None = None,
                 channel: str | None = None, name: str = "slack"):
        if (webhook is None) == (client is None):
            raise ConfigError("SlackChannel needs exactly one of webhook= or client=", details={"field": "slack"})
        if client is not None and not channel:
            raise ConfigError("SlackChannel with a WebClient needs channel= (e.g. '#alerts')",
                              details={"field": "channel"})
        self.name = name
        self._webhook, self._client, self._channel = webhook, client, channel

    def send(self, alert: Alert) -> DeliveryResult:
        text, blocks = redact(alert.text()), slack_blocks(alert)
        try:
            if self._webhook is not None:
                response = self._webhook.send(text=text, blocks=blocks)
                status = getattr(response, "status_code", None)
                return DeliveryResult(self.name, status == 200, str(getattr(response, "body", ""))[:200], status)
            response = self._client.chat_postMessage(channel=self._channel, text=text, blocks=blocks)
            ok = bool(response.get("ok"))
            return DeliveryResult(self.name, ok, "" if ok else str(response.get("error", "")),
                                  getattr(response, "status_code", None))
        except Exception as exc:  # noqa: BLE001 - slack-sdk raises its own types (SlackApiError, URLError)
            return DeliveryResult(self.name, False, f"{type(exc).__name__}: {redact(str(exc))[:200]}")


class AlertDispatcher:
    """Sends alerts to every channel; ``observe`` sends only when a condition starts (and, with
    ``notify_resolved``, once when it clears)."""

    def __init__(self, channels: Sequence[AlertChannel], deduplicator: AlertDeduplicator | None = None,
                 *, notify_resolved: bool = True):
        self.channels = tuple(channels)
        self.deduplicator = deduplicator or AlertDeduplicator()
        self._notify_resolved = notify_resolved

    def send(self, alert: Alert) -> list[DeliveryResult]:
        """Deliver to every channel now; a channel that raises is reported as not delivered."""
        results = []
        for channel in self.channels:
            try:
                results.append(channel.send(alert))
            except Exception as exc:  # noqa: BLE001 - one broken channel must not silence the others
                results.append(DeliveryResult(getattr(channel, "name", type(channel).__name__), False,
                                              f"{type(exc).__name__}: {redact(str(exc))[:200]}"))
        return results

    def observe(self, alert: Alert, active: bool) -> list[DeliveryResult]:
        """Call every tick with the condition's current state; returns what was sent (usually nothing)."""
        decision = self.deduplicator.observe(alert.key, active)
        if decision is DedupDecision.FIRE:
            return self.send(alert)
        if decision is DedupDecision.RESOLVED and self._notify_resolved:
            return self.send(replace(alert, severity=Severity.INFO, title=f"Resolved: {alert.title}"))
        return []


def configured_channels(settings: Any) -> list[AlertChannel]:
    """The channels ``settings`` configure: the structured log always, Slack when a webhook URL is set."""
    channels: list[AlertChannel] = [LogChannel()]
    if settings.slack_webhook_url is not None:
        from slack_sdk.webhook import WebhookClient

        channels.append(SlackChannel(webhook=WebhookClient(settings.slack_webhook_url.get_secret_value())))
    return channels
