"""Deciding an approval from Slack: check the presser, call ``ApprovalService`` (the only way to answer),
then show the outcome on the card, or say in the card's thread why nothing happened."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from api.slack.publisher import SlackPublisher
from api.slack.runtime import SlackRefusal, SlackRuntime, slack_actor
from errors import ApprovalError, NotFoundError, PermissionDenied
from guardrails.policy import Operation, require
from guardrails.redaction import redact

log = logging.getLogger("quantpilot.slack")

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


def may_decide(runtime: SlackRuntime, slack_user_id: str) -> SlackRefusal | None:
    """None when the Slack user's linked user may decide approvals at all (the policy table), else why not: asked
    before a comment box opens, so nobody types a reason that cannot count."""
    actor = slack_actor(runtime.links, slack_user_id, runtime.count_request)
    if isinstance(actor, SlackRefusal):
        return actor
    try:
        require(actor, Operation.DECIDE_APPROVAL)
    except PermissionDenied as exc:
        return SlackRefusal(exc.code, exc.message, exc.details)
    return None


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
    actor = slack_actor(runtime.links, slack_user_id, runtime.count_request)
    if isinstance(actor, SlackRefusal):
        say_in_thread(runtime, where, f":no_entry: {actor.message}")
        return SlackDecision("refused", approval_id, actor.code, actor.message)
    service = runtime.approvals()
    try:
        if verdict == "approved":
            outcome = service.approve(actor, approval_id, comment or None)
        else:
            outcome = service.reject(actor, approval_id, comment or "")
    except PermissionDenied as exc:  # this person may not decide it: the card stays as it is for the others
        say_in_thread(runtime, where, f":no_entry: <@{slack_user_id}> {exc.message}")
        return SlackDecision("refused", approval_id, exc.code, exc.message)
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
        record = runtime.approvals().store.get(approval_id)  # the card shows what is stored, for everyone
        SlackPublisher(runtime).show(record, where.channel, where.ts)
    except (NotFoundError, SlackApiError):
        pass
