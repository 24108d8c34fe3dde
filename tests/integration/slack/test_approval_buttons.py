"""Approval cards in Slack: posted once, decided by linked approvers only, idempotent, and in step with
decisions made through ApprovalService from any other interface."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.integration.slack.conftest import CHANNEL_ID, action_form, post_signed, view_form
from tests.support.people import BOB


def _decisions(database, approval_id: str) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM approval_decisions WHERE approval_id = :a"),
                            {"a": approval_id}).scalar_one()


def _service(database):
    from memory.approvals import ApprovalStore
    from services.approvals import ApprovalService

    return ApprovalService(ApprovalStore(database))


def test_sync_posts_one_card_with_approve_and_reject_buttons_per_pending_request(runtime, pending, fake_slack):
    from api.slack.publisher import SlackPublisher

    first = SlackPublisher(runtime).sync()
    second = SlackPublisher(runtime).sync()

    posts = fake_slack.of("chat.postMessage")
    assert first.posted == (pending,) and second.posted == ()
    assert len(posts) == 1 and posts[0].args["channel"] == "#approvals"
    buttons = [e for b in posts[0].args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {(b["action_id"], b["value"]) for b in buttons} == {
        ("qp_approve", pending), ("qp_approve_comment", pending), ("qp_reject", pending)}
    assert runtime.cards.get(pending).channel == CHANNEL_ID


def test_approver_press_records_the_decision_and_the_card_shows_who_decided(client, database, people, pending,
                                                                            card, fake_slack):
    answer = post_signed(client, action_form("qp_approve", pending, people["alice"], card))

    assert answer.status_code == 200
    record = _service(database).store.get(pending)
    assert (record.status, record.decision.approver, record.decision.channel) == ("approved", "alice", "slack")
    update = fake_slack.of("chat.update")[-1].args
    assert (update["channel"], update["ts"]) == (CHANNEL_ID, card)
    shown = json.dumps(update["blocks"])
    assert "Approved by *alice* via slack" in shown and "qp_approve" not in shown


def test_repeated_press_is_idempotent(client, database, people, pending, card, fake_slack):
    first = post_signed(client, action_form("qp_approve", pending, people["alice"], card))
    again = post_signed(client, action_form("qp_approve", pending, people["alice"], card))

    assert (first.status_code, again.status_code) == (200, 200)
    assert _decisions(database, pending) == 1
    assert [c for c in fake_slack.of("chat.postMessage") if c.args.get("thread_ts")] == []
    assert all("alice" in json.dumps(c.args["blocks"]) for c in fake_slack.of("chat.update"))


def test_second_approver_pressing_after_a_decision_is_told_who_decided_and_nothing_changes(
        client, database, people, pending, card, fake_slack):
    post_signed(client, action_form("qp_approve", pending, people["alice"], card))
    post_signed(client, action_form("qp_approve", pending, people["bob"], card))

    assert _service(database).store.get(pending).decision.approver == "alice"
    reply = [c for c in fake_slack.of("chat.postMessage") if c.args.get("thread_ts") == card]
    assert len(reply) == 1 and "already approved by alice" in reply[0].args["text"]


def test_press_from_a_trader_is_refused_in_the_thread(client, database, people, pending, card, fake_slack):
    answer = post_signed(client, action_form("qp_approve", pending, people["tom"], card))

    assert answer.status_code == 200
    assert _service(database).store.get(pending).status == "pending"
    assert _decisions(database, pending) == 0
    reply = [c for c in fake_slack.of("chat.postMessage") if c.args.get("thread_ts") == card]
    assert len(reply) == 1 and "needs the approver role" in reply[0].args["text"]
    assert fake_slack.of("chat.update") == []


def test_press_from_an_unlinked_slack_user_is_refused_with_the_link_command(client, database, people, pending,
                                                                           card, fake_slack):
    post_signed(client, action_form("qp_approve", pending, "UNOBODY01", card))

    assert _decisions(database, pending) == 0
    reply = [c for c in fake_slack.of("chat.postMessage") if c.args.get("thread_ts") == card]
    assert "quantpilot users link-slack NAME UNOBODY01" in reply[0].args["text"]


def test_revoking_the_user_takes_the_right_away_from_their_slack_account(client, database, people, pending, card):
    from memory.users import UserStore

    UserStore(database).revoke("alice")
    post_signed(client, action_form("qp_approve", pending, people["alice"], card))

    assert _decisions(database, pending) == 0


def test_reject_opens_the_comment_modal_and_its_submission_records_the_reason(client, database, people, pending,
                                                                              card, fake_slack):
    opened = post_signed(client, action_form("qp_reject", pending, people["bob"], card))
    view = fake_slack.of("views.open")[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    submitted = post_signed(client, view_form(pending, "rejected", people["bob"], card, "too risky before FOMC"))

    assert (opened.status_code, submitted.status_code) == (200, 200)
    assert view["callback_id"] == "qp_decision" and json.loads(view["private_metadata"])["verdict"] == "rejected"
    decision = _service(database).store.get(pending).decision
    assert (decision.verdict, decision.approver, decision.comment) == ("rejected", "bob", "too risky before FOMC")
    assert "Rejected by *bob*" in json.dumps(fake_slack.of("chat.update")[-1].args["blocks"])


def test_rejecting_without_a_comment_is_answered_with_a_field_error(client, database, people, pending, card):
    answer = post_signed(client, view_form(pending, "rejected", people["bob"], card, "  "))

    assert answer.status_code == 200
    assert answer.json()["response_action"] == "errors" and "qp_comment" in answer.json()["errors"]
    assert _decisions(database, pending) == 0


def test_trader_cannot_open_the_reject_modal(client, people, pending, card, fake_slack):
    post_signed(client, action_form("qp_reject", pending, people["tom"], card))

    assert fake_slack.of("views.open") == []


def test_a_decision_made_elsewhere_updates_the_card_on_the_next_sync(runtime, database, people, pending, card,
                                                                     fake_slack):
    from api.slack.publisher import SlackPublisher

    _service(database).approve(BOB, pending, "looks fine")
    report = SlackPublisher(runtime).sync()
    again = SlackPublisher(runtime).sync()

    assert report.updated == (pending,) and again.updated == ()
    shown = json.dumps(fake_slack.of("chat.update")[-1].args["blocks"])
    assert "Approved by *bob* via cli" in shown and "looks fine" in shown
