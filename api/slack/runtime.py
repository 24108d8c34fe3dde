"""The collaborators every Slack listener uses, built once per process from settings and the database,
and who a Slack user is: the ``Actor`` of the linked user (by id). What that actor may do is the services'
rule, the same as on every other interface."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException

from errors import ConfigError
from guardrails.policy import Actor, Channel
from memory.slack_users import SlackCards, SlackUserLinks

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from api.slack.settings import SlackSettings
    from config import Settings
    from graph.approval_resume import approval_service
    from memory.db import Database
    from services.approvals import ApprovalService
    from services.execution import ExecutionService

CHANNEL = "slack"  # the approval/audit channel name of everything decided here
LINK_HINT = "ask an admin to run `quantpilot users link-slack NAME {slack_user_id}`"


class SlackNotConfigured(ConfigError):
    """The bot token or the signing secret is missing."""


@dataclass(frozen=True)
class SlackRefusal:
    """Why a Slack user may not do something: ``not_linked`` or a ``DenialCode`` value, with the facts."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def slack_actor(links: SlackUserLinks, slack_user_id: str,
                count_request: Callable[[Actor], None] | None = None) -> Actor | SlackRefusal:
    """The Actor a Slack user acts as (the linked active user, by id), or why there is none — including that
    the person is over the per-user request limit (``count_request``)."""
    user = links.resolve(slack_user_id)
    if user is None:
        return SlackRefusal("not_linked", f"<@{slack_user_id}> is not linked to an active quantpilot user; "
                            + LINK_HINT.format(slack_user_id=slack_user_id), {"slack_user_id": slack_user_id})
    actor = Actor(user.id, user.name, user.role, Channel.SLACK)
    if count_request is not None:
        try:
            count_request(actor)
        except HTTPException as refused:
            return SlackRefusal("rate_limited", f"{refused.detail} (the limit counts your API keys, web session "
                                "and Slack together)", dict(refused.headers or {}))
    return actor


class _Once:
    """A value built on first use, once, under a lock (the approval service loads the graph)."""

    def __init__(self, build: Callable[[], Any]):
        self._build, self._lock, self._value = build, threading.Lock(), None

    def __call__(self) -> Any:
        with self._lock:
            if self._value is None:
                self._value = self._build()
            return self._value


@dataclass(frozen=True)
class SlackRuntime:
    """Database, Slack client and the services behind every listener. ``approvals``/``execution`` are
    factories so a request that needs neither never builds them."""

    database: Database
    client: WebClient
    settings: SlackSettings
    signing_secret: str
    approvals: Callable[[], ApprovalService]
    execution: Callable[[], ExecutionService]
    # counts one request of a person (the API's per-user rate limit: keys, web and Slack together); raises a
    # 429 HTTPException over the limit. None: not counted
    count_request: Callable[[Actor], None] | None = None

    @property
    def links(self) -> SlackUserLinks:
        return SlackUserLinks(self.database)

    @property
    def cards(self) -> SlackCards:
        return SlackCards(self.database)

    def book(self, account: str | None) -> ExecutionService:
        """The execution service of paper ``account`` (the default one when None or empty); a ConfigError naming
        a bad account id, or an account the broker does not have."""
        from services.paper_accounts import account_id

        service = self.execution()
        name = account_id(account or None, service.settings)
        other = service.for_account(name)
        if other is None:
            raise ConfigError(f"this broker has a single account ({service.account}); no account {name!r}")
        return other


def product_approval_service(settings: Settings, database: Database) -> ApprovalService:
    """The ApprovalService on the product graph (to resume waiting threads), or read/record-only when the
    agents cannot load (the decision is stored; a repeat call resumes the thread)."""
    from graph.wiring import product_context, product_graph

    context = product_context(settings, database, channel=CHANNEL)
    try:
        graph = product_graph(settings, database)
    except ConfigError:
        graph = None
    return approval_service(context, graph)


def paper_execution_service(settings: Settings, database: Database) -> ExecutionService:
    """The execution service on the paper broker (Slack never drives a live broker)."""
    from config import TradingMode
    from services.execution_path import execution_service

    if settings.trading_mode is TradingMode.LIVE:
        raise ConfigError("live trading from Slack is not wired; use paper (QUANTPILOT_TRADING_MODE=paper)")
    return execution_service(database, settings)


def build_runtime(settings: Settings, database: Database, slack_settings: SlackSettings | None = None, *,
                  approvals: Callable[[], ApprovalService] | None = None,
                  execution: Callable[[], ExecutionService] | None = None) -> SlackRuntime:
    """The runtime from settings; SlackNotConfigured when the bot token or signing secret is missing."""
    from slack_sdk import WebClient

    from api.slack.settings import SlackSettings

    missing = [name for name, value in (("QUANTPILOT_SLACK_BOT_TOKEN", settings.slack_bot_token),
                                        ("QUANTPILOT_SLACK_SIGNING_SECRET", settings.slack_signing_secret))
               if value is None or not value.get_secret_value()]
    if missing:
        raise SlackNotConfigured(f"Slack is not configured: set {' and '.join(missing)}", code="slack_not_configured",
                                 details={"missing": missing})
    slack_settings = slack_settings or SlackSettings()
    client = WebClient(token=settings.slack_bot_token.get_secret_value(),  # type: ignore[union-attr]
                       base_url=slack_settings.api_base_url, timeout=10)
    return SlackRuntime(database, client, slack_settings,
                        settings.slack_signing_secret.get_secret_value(),  # type: ignore[union-attr]
                        approvals or _Once(lambda: product_approval_service(settings, database)),
                        execution or _Once(lambda: paper_execution_service(settings, database)))
