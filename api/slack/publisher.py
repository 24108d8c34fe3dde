"""Outgoing Slack messages: approval cards (posted once, updated when decided from any interface),
alerts and daily summaries. Every Web API call goes through the runtime's ``WebClient``."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from api.slack.blocks import card_for, card_text, summary_blocks
from api.slack.runtime import SlackRuntime
from guardrails.policy import Actor
from memory.approvals import ApprovalRecord, ApprovalStore
from quant.monitoring.alerts import Alert
from services.alerts import DeliveryResult, SlackChannel
from services.approvals import ApprovalService

log = logging.getLogger("quantpilot.slack")
SYNC = Actor.system("slack-sync")  # quantpilot posting and updating cards on its own


@dataclass(frozen=True)
class SyncReport:
    """What one sweep did: cards posted, cards updated, posts that failed (retried next sweep)."""

    posted: tuple[str, ...]
    updated: tuple[str, ...]
    failed: tuple[str, ...]


class SlackPublisher:
    """Posts and updates quantpilot's messages in Slack."""

    def __init__(self, runtime: SlackRuntime):
        self.runtime = runtime

    def post_card(self, record: ApprovalRecord) -> bool:
        """Post the card of ``record`` unless some process has (claimed) it already; True when posted here."""
        cards = self.runtime.cards
        if not cards.claim(record.id, self.runtime.settings.approvals_channel, record.status):
            return False
        try:
            answer = self.runtime.client.chat_postMessage(channel=self.runtime.settings.approvals_channel,
                                                          text=card_text(record), blocks=card_for(record))
        except SlackApiError:
            cards.release(record.id)
            raise
        cards.posted(record.id, str(answer["channel"]), str(answer["ts"]))
        return True

    def show(self, record: ApprovalRecord, channel: str, ts: str) -> None:
        """Update the card at (channel, ts) to what ``record`` says now (who decided, the status)."""
        self.runtime.client.chat_update(channel=channel, ts=ts, text=card_text(record), blocks=card_for(record))
        self.runtime.cards.remember(record.id, channel, ts, record.status)

    def sync(self, service: ApprovalService | None = None) -> SyncReport:
        """Post a card for every pending request without one; update cards whose request moved on (decided
        through the CLI, API or web, applied, expired)."""
        service = service or ApprovalService(ApprovalStore(self.runtime.database))
        posted, updated, failed = [], [], []
        for record in service.list(SYNC, "pending"):
            try:
                if self.post_card(record):
                    posted.append(record.id)
            except SlackApiError as exc:
                log.warning("posting the card of %s failed: %s", record.id, exc.response.get("error"))
                failed.append(record.id)
        for card in self.runtime.cards.open_cards():
            record = service.show(SYNC, card.approval_id)
            if record.status == card.shown_status or card.ts is None:
                continue
            try:
                self.show(record, card.channel, card.ts)
                updated.append(record.id)
            except SlackApiError as exc:
                log.warning("updating the card of %s failed: %s", record.id, exc.response.get("error"))
                failed.append(record.id)
        return SyncReport(tuple(posted), tuple(updated), tuple(failed))

    def post_alert(self, alert: Alert) -> DeliveryResult:
        """An alert in the alerts channel (``services.alerts.SlackChannel``; never raises)."""
        return SlackChannel(client=self.runtime.client, channel=self.runtime.settings.alerts_channel).send(alert)

    def post_daily_summary(self, summary: Any) -> str:
        """The daily summary (``DailySummary``) in the alerts channel; returns the message ts."""
        text = summary.render_text()
        answer = self.runtime.client.chat_postMessage(channel=self.runtime.settings.alerts_channel,
                                                      text=text.splitlines()[0], blocks=summary_blocks(text))
        return str(answer["ts"])


class SyncLoop:
    """Runs ``SlackPublisher.sync`` every ``seconds`` in a daemon thread until ``stop()``."""

    def __init__(self, publisher: SlackPublisher, seconds: float):
        self._publisher, self._seconds = publisher, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="quantpilot-slack-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._seconds + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self._publisher.sync()
            except Exception:  # noqa: BLE001 - a sweep failure (database, Slack) must not end the loop
                log.exception("Slack sync failed; retrying in %s s", self._seconds)
