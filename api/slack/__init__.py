"""quantpilot in Slack: approval cards with Approve / Reject buttons (and a comment modal), alerts and
daily summaries in a channel, and the ``/quantpilot`` command. HTTP mode at ``POST /slack/events`` on
the API app (``install_slack``), Socket Mode with ``quantpilot slack socket``.

Every decision goes through ``services.approvals.ApprovalService`` (channel ``slack``) as the
Slack user's linked quantpilot user (``quantpilot users link-slack NAME SLACK_USER_ID``).

(The routes live in ``api.slack.routes``; nothing is imported here so that the CLI starts fast.)
"""
