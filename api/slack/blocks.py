"""Block Kit for quantpilot's Slack messages: the approval card (open and decided), the comment modal,
and the daily summary. Pure functions of stored records; every free text is masked and escaped."""

from __future__ import annotations

import json
from typing import Any

from agents.answers import approval_card as describe_approval
from agents.answers.approvals import approve_command
from guardrails.redaction import redact
from memory.approvals import ApprovalRecord

APPROVE, APPROVE_WITH_COMMENT, REJECT = "qp_approve", "qp_approve_comment", "qp_reject"
DECISION_VIEW = "qp_decision"
COMMENT_BLOCK, COMMENT_INPUT = "qp_comment", "comment"
_VERDICT_MARK = {"approved": ":white_check_mark: Approved", "rejected": ":x: Rejected"}
_STATUS_MARK = {"applied": ":rocket: applied", "expired": ":hourglass: expired", "invalid": ":no_entry: invalid",
                "rejected": ":x: rejected", "approved": ":white_check_mark: approved"}


def escape(text: str) -> str:
    """Slack mrkdwn escaping (``&``, ``<``, ``>``) after masking secrets."""
    return redact(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _facts(record: ApprovalRecord) -> list[dict[str, Any]]:
    card = describe_approval(record)
    fields = [("Kind", record.kind), ("Requested by", escape(record.requester)), ("Expires", escape(card.expires))]
    return [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields]


def _evidence(record: ApprovalRecord) -> str:
    """The evidence as people read it (``• out-of-sample Sharpe: 0.77``), then who decides and how."""
    card = describe_approval(record)
    lines = [f"• {escape(label)}: {escape(text)}" for label, text in card.evidence]
    return "\n".join([*(lines or ["(no evidence attached)"]),
                      f"_An approver other than {escape(card.requester)} decides: the buttons below, or_ "
                      f"`{escape(approve_command(record.id))}`"])


def _title(record: ApprovalRecord) -> str:
    card = describe_approval(record)
    return f"*{escape(card.title)}*" + (f"\n{escape(card.reason)}" if card.reason else "")


def card_text(record: ApprovalRecord) -> str:
    """The notification text (shown where blocks are not)."""
    return f"Approval {record.id}: {redact(describe_approval(record).title)[:200]} — {record.status}"


def approval_card(record: ApprovalRecord) -> list[dict[str, Any]]:
    """The card of a pending request: what, who asked, evidence, and Approve / Approve with comment / Reject."""
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Approval needed: {record.kind}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _title(record)[:2900]}, "fields": _facts(record)},
        {"type": "section", "text": {"type": "mrkdwn", "text": _evidence(record)[:2900]}},
        {"type": "actions", "block_id": f"qp_approval:{record.id}", "elements": [
            {"type": "button", "action_id": APPROVE, "style": "primary", "value": record.id,
             "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": APPROVE_WITH_COMMENT, "value": record.id,
             "text": {"type": "plain_text", "text": "Approve with comment"}},
            {"type": "button", "action_id": REJECT, "style": "danger", "value": record.id,
             "text": {"type": "plain_text", "text": "Reject"}},
        ]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"`{record.id}` · approvers only"}]},
    ]


def decision_line(record: ApprovalRecord) -> str:
    """``:white_check_mark: Approved by alice via slack at 2024-… — comment`` (and the request's status)."""
    d = record.decision
    if d is None:
        return f"Status: {_STATUS_MARK.get(record.status, record.status)}"
    line = (f"{_VERDICT_MARK.get(d.verdict, d.verdict)} by *{escape(d.approver)}* via {escape(d.channel)} "
            f"at {d.decided_at.strftime('%Y-%m-%d %H:%M UTC')}")
    if d.comment:
        line += f" — “{escape(d.comment)[:500]}”"
    if record.status not in ("pending", d.verdict):
        line += f"\nStatus: {_STATUS_MARK.get(record.status, record.status)}"
    return line


def decided_card(record: ApprovalRecord) -> list[dict[str, Any]]:
    """The card once decided (or closed): the same facts, no buttons, and who decided."""
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Approval: {record.kind}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _title(record)[:2900]}, "fields": _facts(record)},
        {"type": "section", "text": {"type": "mrkdwn", "text": decision_line(record)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"`{record.id}`"}]},
    ]


def card_for(record: ApprovalRecord) -> list[dict[str, Any]]:
    return approval_card(record) if record.status == "pending" and record.decision is None else decided_card(record)


def decision_modal(approval_id: str, verdict: str, channel: str | None, ts: str | None) -> dict[str, Any]:
    """The comment modal; a rejection needs a comment, an approval may have one."""
    title = "Reject request" if verdict == "rejected" else "Approve request"
    return {
        "type": "modal", "callback_id": DECISION_VIEW,
        "private_metadata": json.dumps({"approval_id": approval_id, "verdict": verdict, "channel": channel,
                                        "ts": ts}),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Reject" if verdict == "rejected" else "Approve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"Request `{escape(approval_id)}`"}},
            {"type": "input", "block_id": COMMENT_BLOCK, "optional": verdict != "rejected",
             "label": {"type": "plain_text", "text": "Why" if verdict == "rejected" else "Comment"},
             "element": {"type": "plain_text_input", "action_id": COMMENT_INPUT, "multiline": True,
                         "max_length": 2000}},
        ],
    }


def summary_blocks(text: str) -> list[dict[str, Any]]:
    """A daily summary (``DailySummary.render_text()``) as a header and a preformatted section."""
    head, _, body = redact(text).partition("\n")
    return [{"type": "header", "text": {"type": "plain_text", "text": head[:150] or "Daily summary"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{body[:2800]}```" if body else "(empty)"}}]
