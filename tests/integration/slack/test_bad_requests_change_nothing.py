"""Unsigned, forged, tampered and replayed Slack requests are refused with 401 and change no table at all
(every table's digest, the checkpointer's and the audit log's included, is the same after as before)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from tests.integration.slack.conftest import action_form, command_form, post_signed, sign
from tests.reliability.table_digest import changed_tables, table_digests


def _unsigned(client, form):
    return client.post("/slack/events", content=urlencode(form),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


def _other_secret(client, form):
    return post_signed(client, form, secret="not-the-signing-secret")


def _replayed(client, form):
    return post_signed(client, form, age_s=5 * 60 + 30)


def _tampered(client, form):
    signed_for = urlencode({**form, "text": "status"} if "text" in form else {"payload": "{}"})
    return client.post("/slack/events", content=urlencode(form), headers=sign(signed_for, int(time.time())))


SENDERS = {"unsigned": _unsigned, "other_secret": _other_secret, "replayed": _replayed, "tampered": _tampered}


@pytest.mark.parametrize("request_kind", ["approve_button", "kill_switch_command"])
@pytest.mark.parametrize("sender", list(SENDERS))
def test_bad_slack_request_is_refused_and_leaves_every_table_unchanged(client, database, people, pending, card,
                                                                         fake_slack, sender, request_kind):
    form = (action_form("qp_approve", pending, people["alice"], card) if request_kind == "approve_button"
            else command_form("kill switch on", people["alice"]))
    before, calls_before = table_digests(database), len(fake_slack.calls)

    answer = SENDERS[sender](client, form)

    assert answer.status_code == 401
    assert changed_tables(before, table_digests(database)) == []
    assert len(fake_slack.calls) == calls_before


def test_the_same_signed_command_when_fresh_does_change_state(client, database, people, pending, card):
    """The control: the digest notices what a correctly signed request writes."""
    before = table_digests(database)

    answer = post_signed(client, action_form("qp_approve", pending, people["alice"], card))

    assert answer.status_code == 200
    assert changed_tables(before, table_digests(database))
