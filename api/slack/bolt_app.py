"""The slack-bolt ``App``: approval buttons, the comment modal and the ``/quantpilot`` command. Each
listener acknowledges first and hands the work to ``decisions``/``slash`` (no logic here)."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App

from api.slack.blocks import (
    APPROVE,
    APPROVE_WITH_COMMENT,
    COMMENT_BLOCK,
    COMMENT_INPUT,
    DECISION_VIEW,
    REJECT,
    decision_modal,
)
from api.slack.decisions import Where, decide, may_decide, say_in_thread
from api.slack.runtime import SlackRuntime
from api.slack.slash import handle

log = logging.getLogger("quantpilot.slack")


def _where(body: dict[str, Any]) -> Where:
    return Where((body.get("channel") or body.get("container") or {}).get("id")
                 or (body.get("container") or {}).get("channel_id"),
                 (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts"))


def build_bolt_app(runtime: SlackRuntime) -> App:
    """The Bolt app on ``runtime`` (requests verified with its signing secret; no ``auth.test`` at start)."""
    app = App(signing_secret=runtime.signing_secret, client=runtime.client, token_verification_enabled=False,
              process_before_response=runtime.settings.process_before_response, name="quantpilot",
              logger=logging.getLogger("quantpilot.slack.bolt"))

    @app.action(APPROVE)
    def approve_pressed(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        decide(runtime, body["actions"][0]["value"], "approved", body["user"]["id"], _where(body))

    def open_modal(ack: Ack, body: dict[str, Any], verdict: str) -> None:
        ack()
        where = _where(body)
        refusal = may_decide(runtime, body["user"]["id"])
        if refusal is not None:
            say_in_thread(runtime, where, f":no_entry: {refusal.message}")
            return
        runtime.client.views_open(trigger_id=body["trigger_id"],
                                  view=decision_modal(body["actions"][0]["value"], verdict, where.channel, where.ts))

    @app.action(APPROVE_WITH_COMMENT)
    def approve_with_comment_pressed(ack: Ack, body: dict[str, Any]) -> None:
        open_modal(ack, body, "approved")

    @app.action(REJECT)
    def reject_pressed(ack: Ack, body: dict[str, Any]) -> None:
        open_modal(ack, body, "rejected")

    @app.view(DECISION_VIEW)
    def decision_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        value = (((view.get("state") or {}).get("values") or {}).get(COMMENT_BLOCK) or {}).get(COMMENT_INPUT) or {}
        comment = (value.get("value") or "").strip()
        if meta.get("verdict") == "rejected" and not comment:
            ack(response_action="errors", errors={COMMENT_BLOCK: "Say why: the agent is told the reason."})
            return
        ack()
        decide(runtime, meta["approval_id"], meta["verdict"], body["user"]["id"],
               Where(meta.get("channel"), meta.get("ts")), comment or None)

    @app.command("/quantpilot")
    def quantpilot_command(ack: Ack, command: dict[str, Any]) -> None:
        ack(**handle(runtime, command["user_id"], command.get("text", "")).ack_kwargs())

    return app


def run_socket_mode(runtime: SlackRuntime) -> None:
    """Serve the same listeners over Socket Mode (needs ``QUANTPILOT_SLACK_APP_TOKEN``, an ``xapp-`` token)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from api.slack.runtime import SlackNotConfigured

    token = runtime.settings.app_token
    if token is None or not token.get_secret_value():
        raise SlackNotConfigured("Socket Mode needs QUANTPILOT_SLACK_APP_TOKEN (an xapp- app-level token)",
                                 code="slack_not_configured", details={"missing": ["QUANTPILOT_SLACK_APP_TOKEN"]})
    SocketModeHandler(build_bolt_app(runtime), token.get_secret_value()).start()
