"""Browser tests: the real app served by uvicorn on 127.0.0.1 (a thread), driven by Debian's headless Chromium.

The app runs on the test database with the product graph as ``graph.wiring`` builds it, with the
boundaries swapped as in the other wired tests: the offline planner, bundled prices only (no
network), a fixed clock, and an open paper bar (the flow is under test, not a strategy's merit).
Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.people import SYSTEM

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class LiveApp:
    base_url: str
    keys: dict[str, str]  # user name -> API key
    database: object


@pytest.fixture()
def live_app(database) -> Iterator[LiveApp]:
    """The app on a free loopback port with AAPL/MSFT bundled prices, a trader and an approver."""
    import uvicorn

    from api.app import create_app
    from guardrails.policy import Role
    from memory.users import UserStore
    from services.market_data import MarketDataService
    from tests.integration.api.conftest import make_settings
    from tests.integration.web.wiring import offline_web_chat

    MarketDataService(database, actor=SYSTEM).load("bundled", ["AAPL", "MSFT"])
    store = UserStore(database)
    keys = {"tina": store.add("tina", Role.TRADER).api_key, "alice": store.add("alice", Role.APPROVER).api_key}
    app = create_app(make_settings(), database=database)
    app.state.web_chat = offline_web_chat(database)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-e2e", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start within 30 s"
    try:
        yield LiveApp(f"http://127.0.0.1:{port}", keys, database)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture()
def chromium() -> Iterator[object]:
    """Debian's chromium through Playwright; the test is skipped (with the reason) when it is not installed."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (`make browser` installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def shot():
    """``shot(page, name)`` saves a full-page PNG to test-artifacts/ and returns its path."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"web-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
