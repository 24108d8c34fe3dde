"""Deciding an approval from Slack: check the presser, call ``ApprovalService`` (the only way to answer),
then show the outcome on the card, or say in the card's thread why nothing happened."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from api.slack.publisher import SlackPublisher
from api.slack.runtime import CHANNEL, SlackRefusal, SlackRuntime, permit
from errors import ApprovalError, NotFoundError
from guardrails.redaction import redact

log = logging.getLogger("quantpilot.slack")

TOOL_FOR_VERDICT = {"approved": "approve_request", "rejected": "reject_request"}


@dataclass(frozen=True)
class Where:
    """The card's message, when the interaction came from one (modals carry it in private_metadata)."""

    channel: str | None
    ts: str | None


@dataclass(frozen=True)
class SlackDecision:
    """What a press did: ``decided`` (stored now), ``repeated`` (same decision stored before) or ``refused``."""

    outcome: str
    approval_id: str
    code: str | None = None
    message: str = ""


def may_decide(runtime: SlackRuntime, slack_user_id: str, verdict: str) -> SlackRefusal | None:
    """None when the Slack user is linked to an approver (or above), else why not."""
    allowed = permit(runtime.links, slack_user_id, TOOL_FOR_VERDICT[verdict])
    return allowed if isinstance(allowed, SlackRefusal) else None


def say_in_thread(runtime: SlackRuntime, where: Where, text: str) -> None:
    """A reply under the card (best effort: a failure is logged, the refusal already holds)."""
    if not where.channel:
        return
    try:
        runtime.client.chat_postMessage(channel=where.channel, thread_ts=where.ts, text=redact(text))
    except SlackApiError as exc:
        log.warning("could not reply in thread: %s", exc.response.get("error"))


def decide(runtime: SlackRuntime, approval_id: str, verdict: str, slack_user_id: str, where: Where,
           comment: str | None = None) -> SlackDecision:
    """Record ``verdict`` on ``approval_id`` as the Slack user's linked quantpilot user, via channel ``slack``."""
    refusal = may_decide(runtime, slack_user_id, verdict)
    if refusal is not None:
        say_in_thread(runtime, where, f":no_entry: {refusal.message}")
        return SlackDecision("refused", approval_id, refusal.code, refusal.message)
    user = runtime.links.resolve(slack_user_id)
    assert user is not None  # permit() resolved it a moment ago
    service = runtime.approvals()
    try:
        if verdict == "approved":
            outcome = service.approve(approval_id, user.name, CHANNEL, comment or None)
        else:
            outcome = service.reject(approval_id, user.name, CHANNEL, comment or "")
    except (ApprovalError, NotFoundError) as exc:
        say_in_thread(runtime, where, f":no_entry: <@{slack_user_id}> {exc.message}")
        _refresh(runtime, approval_id, where)
        return SlackDecision("refused", approval_id, exc.code, exc.message)
    if where.channel and where.ts:
        SlackPublisher(runtime).show(outcome.approval, where.channel, where.ts)
    return SlackDecision("repeated" if outcome.repeated else "decided", approval_id)


def _refresh(runtime: SlackRuntime, approval_id: str, where: Where) -> None:
    """Show the request as it is now (e.g. decided by someone else meanwhile)."""
    if not (where.channel and where.ts):
        return
    try:
        record = runtime.approvals().show(approval_id)
        SlackPublisher(runtime).show(record, where.channel, where.ts)
    except (NotFoundError, SlackApiError):
        pass
