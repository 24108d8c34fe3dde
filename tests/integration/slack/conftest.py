"""A fake Slack Web API on 127.0.0.1 that records every call, signed Slack requests, and the real API app
with Slack configured against that fake (no network: the WebClient's ``base_url`` points here)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient

from tests.support.loopback_http import serving

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
CHANNEL_ID = "C0APPROVALS"


@dataclass
class SlackCall:
    method: str
    args: dict


@dataclass
class FakeSlack:
    """Records Web API calls; ``chat.postMessage`` answers with a fresh ``ts`` in ``CHANNEL_ID``."""

    base_url: str = ""
    calls: list[SlackCall] = field(default_factory=list)

    def of(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]


@pytest.fixture()
def fake_slack() -> Iterator[FakeSlack]:
    state = FakeSlack()
    counter = itertools.count(1)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                args = json.loads(raw or "{}")
            else:
                args = dict(parse_qsl(raw))
            method = self.path.rsplit("/", 1)[-1]
            with lock:
                state.calls.append(SlackCall(method, args))
                n = next(counter)
            reply: dict = {"ok": True}
            if method == "chat.postMessage":
                reply = {"ok": True, "channel": CHANNEL_ID, "ts": f"1700000000.{n:06d}"}
            elif method == "chat.update":
                reply = {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
            elif method == "auth.test":
                reply = {"ok": True, "user_id": "UBOT0001", "bot_id": "BBOT0001", "team_id": "T0TEAM01"}
            body = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    with serving(Handler) as url:
        state.base_url = f"{url}/api/"
        yield state


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's request signature: ``v0=`` + hex HMAC-SHA256(secret, ``v0:{timestamp}:{body}``)."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def post_signed(client: TestClient, form: dict[str, str], *, age_s: int = 0, secret: str = SIGNING_SECRET):
    body = urlencode(form)
    return client.post("/slack/events", content=body, headers=sign(body, int(time.time()) - age_s, secret))


def action_form(action_id: str, approval_id: str, slack_user_id: str, ts: str) -> dict[str, str]:
    """A ``block_actions`` interaction: a button on the card at (CHANNEL_ID, ts) pressed by ``slack_user_id``."""
    payload = {"type": "block_actions", "team": {"id": "T0TEAM01"}, "user": {"id": slack_user_id},
               "api_app_id": "A0APP001", "token": "legacy", "trigger_id": "trig.123",
               "channel": {"id": CHANNEL_ID}, "container": {"type": "message", "message_ts": ts,
                                                            "channel_id": CHANNEL_ID},
               "message": {"ts": ts, "text": "card"}, "response_url": "https://hooks.slack.invalid/x",
               "actions": [{"action_id": action_id, "block_id": f"qp_approval:{approval_id}", "value": approval_id,
                            "type": "button", "action_ts": f"{time.time_ns() / 1e9:.6f}"}]}  # each press its own
    return {"payload": json.dumps(payload)}


def view_form(approval_id: str, verdict: str, slack_user_id: str, ts: str, comment: str | None) -> dict[str, str]:
    """A ``view_submission`` of the comment modal."""
    payload = {"type": "view_submission", "team": {"id": "T0TEAM01"}, "user": {"id": slack_user_id},
               "api_app_id": "A0APP001", "token": "legacy", "trigger_id": "trig.456",
               "view": {"id": "V0VIEW01", "type": "modal", "callback_id": "qp_decision",
                        "private_metadata": json.dumps({"approval_id": approval_id, "verdict": verdict,
                                                        "channel": CHANNEL_ID, "ts": ts}),
                        "state": {"values": {"qp_comment": {"comment": {"type": "plain_text_input",
                                                                        "value": comment}}}}}}
    return {"payload": json.dumps(payload)}


def command_form(text: str, slack_user_id: str) -> dict[str, str]:
    return {"token": "legacy", "team_id": "T0TEAM01", "channel_id": CHANNEL_ID, "user_id": slack_user_id,
            "command": "/quantpilot", "text": text, "response_url": "https://hooks.slack.invalid/y",
            "trigger_id": "trig.789", "api_app_id": "A0APP001"}


@pytest.fixture()
def slack_env(monkeypatch, fake_slack):
    monkeypatch.setenv("QUANTPILOT_SLACK_API_BASE_URL", fake_slack.base_url)
    monkeypatch.setenv("QUANTPILOT_SLACK_SYNC_SECONDS", "0")
    monkeypatch.setenv("QUANTPILOT_SLACK_PROCESS_BEFORE_RESPONSE", "true")
    monkeypatch.setenv("QUANTPILOT_SLACK_APPROVALS_CHANNEL", "#approvals")
    monkeypatch.setenv("QUANTPILOT_SLACK_ALERTS_CHANNEL", "#alerts")


@pytest.fixture()
def settings(slack_env):
    from config import Settings

    return Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)


@pytest.fixture()
def runtime(database, settings):
    """The Slack runtime the app builds, with an ApprovalService that records decisions (no agent graph)."""
    from api.slack.runtime import build_runtime
    from memory.approvals import ApprovalStore
    from services.approvals import ApprovalService

    store = ApprovalStore(database)
    service = ApprovalService(store)
    return build_runtime(settings, database, approvals=lambda: service)


@pytest.fixture()
def client(database, settings, runtime) -> Iterator[TestClient]:
    from api.app import create_app
    from tests.integration.api.conftest import make_settings

    app = create_app(make_settings(), database=database, settings=settings)
    app.state.slack_runtime = runtime
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture()
def people(database) -> dict[str, str]:
    """Slack ids linked to an approver (alice), a second approver (bob), a trader (tom) and a viewer (vic)."""
    from guardrails.policy import Role
    from memory.slack_users import SlackUserLinks
    from memory.users import UserStore

    users, links = UserStore(database), SlackUserLinks(database)
    ids = {}
    for name, role, slack_id in (("alice", Role.APPROVER, "UALICE01"), ("bob", Role.APPROVER, "UBOB0001"),
                                 ("tom", Role.TRADER, "UTOM0001"), ("vic", Role.VIEWER, "UVIC0001")):
        users.add(name, role)
        links.link(name, slack_id)
        ids[name] = slack_id
    return ids


@pytest.fixture()
def pending(database) -> str:
    """A pending risk-limit approval requested by tom; its id."""
    from memory.approvals import ApprovalStore

    now = datetime.now(UTC)
    request = {"id": "apr_slack00001", "kind": "risk_limit", "requester": "tom", "channel": "cli", "thread_id": None,
               "subject": {"limit_change_id": "lc-1", "limit": "max_position_pct", "to": 12.5},
               "evidence": {"current": 10.0}, "summary": "raise max_position_pct 10 -> 12.5",
               "created_at": now, "expires_at": now + timedelta(days=1)}
    ApprovalStore(database).save_request(request)
    return request["id"]


@pytest.fixture()
def card(runtime, pending, fake_slack) -> str:
    """The card of the pending approval, posted by a sync; its ts."""
    from api.slack.publisher import SlackPublisher

    report = SlackPublisher(runtime).sync()
    assert report.posted == (pending,)
    return runtime.cards.get(pending).ts
