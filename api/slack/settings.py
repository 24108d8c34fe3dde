"""Settings of the Slack app (env prefix ``QUANTPILOT_SLACK_``). The bot token and signing secret are
``config.Settings.slack_bot_token`` / ``slack_signing_secret``; this object holds the rest."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from config import EnvSettings


class SlackSettings(EnvSettings):
    """Where cards, alerts and summaries go, and how the Bolt app runs. Safe defaults: HTTP mode."""

    env_prefix: ClassVar[str] = "QUANTPILOT_SLACK_"

    approvals_channel: str = Field(default="#quantpilot-approvals", description="where approval cards are posted")
    alerts_channel: str = Field(default="#quantpilot-alerts", description="alerts and daily summaries")
    api_base_url: str = Field(default="https://slack.com/api/", description="Slack Web API base (tests: a fake)")
    app_token: SecretStr | None = Field(default=None, description="xapp-… app-level token, Socket Mode only")
    sync_seconds: float = Field(default=15.0, ge=0, description="how often the API server posts new approval "
                                "cards and updates decided ones; 0 = never (run `quantpilot slack sync`)")
    process_before_response: bool = Field(default=False, description="finish a listener before answering Slack "
                                          "(FaaS hosts); default: answer at once, work in a thread")
