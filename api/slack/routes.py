"""``install_slack(app)``: the Bolt app at ``POST /slack/events`` (events, interactivity and slash commands
all point there), 503 with a JSON message while Slack is not configured, and the card sync loop.

A signed request is accepted once: its signature is checked here, then remembered in Postgres for Slack's
five-minute signing window (every API worker shares the table), so a replayed request — a second halt from
a captured ``kill switch on`` — is refused with 401 before anything runs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.errors import error_body
from api.slack.runtime import SlackNotConfigured

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger("quantpilot.slack")
EVENTS_PATH = "/slack/events"


def _unavailable(exc: SlackNotConfigured) -> Response:
    return Response(error_body("slack_not_configured", exc.message, exc.details), status_code=503,
                    media_type="application/json")


def _slack(app: FastAPI, settings: Settings | None):
    """(runtime, bolt app) of this process, built on first use; SlackNotConfigured without the secrets."""
    cached = getattr(app.state, "slack", None)
    if cached is not None:
        return cached
    from api.slack.bolt_app import build_bolt_app
    from api.slack.runtime import build_runtime
    from config import get_settings

    runtime = getattr(app.state, "slack_runtime", None) or build_runtime(settings or get_settings(),
                                                                         app.state.database)
    limiter = getattr(app.state, "limiter", None)
    if limiter is not None and runtime.count_request is None:  # the API's per-user request limit
        runtime = replace(runtime, count_request=lambda actor: limiter.hit_user(actor.user_id))
    app.state.slack = (runtime, build_bolt_app(runtime))
    return app.state.slack


SIGNING_WINDOW_S = 300  # Slack's own limit on a request's age


def _refuse_replay(app: FastAPI, headers, body: bytes) -> Response | None:
    """401 for a request whose signature is not valid now (Bolt would refuse it too) or was accepted before."""
    import hashlib

    from slack_sdk.signature import SignatureVerifier

    runtime, _ = _slack(app, None)
    timestamp, signature = headers.get("x-slack-request-timestamp", ""), headers.get("x-slack-signature", "")
    if not (timestamp.isdigit() and signature) or not SignatureVerifier(runtime.signing_secret).is_valid(
            body, timestamp, signature):
        return Response(error_body("invalid_signature", "the Slack request signature is missing, wrong or too old"),
                        status_code=401, media_type="application/json")
    digest = hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()
    if not runtime.links.accept_once(digest, SIGNING_WINDOW_S):
        log.warning("refused a replayed Slack request (timestamp %s)", timestamp)
        return Response(error_body("replayed_request", "this signed Slack request was accepted once already"),
                        status_code=401, media_type="application/json")
    return None


def install_slack(app: FastAPI, settings: Settings | None = None) -> None:
    """Add the Slack route to ``app`` (and, when configured, the sync loop to its lifespan).

    Tests may set ``app.state.slack_runtime`` (``api.slack.runtime.build_runtime(...)``) before the first
    request to swap the approval or execution service."""

    @app.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response

        try:
            _, bolt = await run_in_threadpool(_slack, app, settings)
        except SlackNotConfigured as exc:
            return _unavailable(exc)
        body = await request.body()
        refused = await run_in_threadpool(_refuse_replay, app, request.headers, body)
        if refused is not None:
            return refused
        answer = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(answer)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[object]:
        async with inner(application) as state:
            loop = await run_in_threadpool(_start_sync, application, settings)
            try:
                yield state
            finally:
                if loop is not None:
                    await run_in_threadpool(loop.stop)

    app.router.lifespan_context = lifespan


def _start_sync(app: FastAPI, settings: Settings | None):
    """Start the card sync loop when Slack is configured and ``QUANTPILOT_SLACK_SYNC_SECONDS`` > 0."""
    from api.slack.publisher import SlackPublisher, SyncLoop

    if getattr(app.state, "database", None) is None:
        return None
    try:
        runtime, _ = _slack(app, settings)
    except SlackNotConfigured:
        return None
    if runtime.settings.sync_seconds <= 0:
        return None
    loop = SyncLoop(SlackPublisher(runtime), runtime.settings.sync_seconds)
    loop.start()
    return loop
