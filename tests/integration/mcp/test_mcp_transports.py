"""The real ``quantpilot mcp`` entry over stdio (a subprocess on the test database, authenticated by
QUANTPILOT_API_KEY) and the streamable-HTTP app's Bearer gate."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import pytest

from tests.integration.mcp.conftest import count

REPO = Path(__file__).resolve().parents[3]


def _params(api_key: str | None):
    from mcp import StdioServerParameters

    env = {k: os.environ[k] for k in ("QUANTPILOT_HOME", "QUANTPILOT_EMBEDDED_URL", "NUMBA_CACHE_DIR")
           if k in os.environ}
    env["QUANTPILOT_DB_KEEP_RUNNING"] = "true"  # joined, never stopped, by the child
    if api_key is not None:
        env["QUANTPILOT_API_KEY"] = api_key
    return StdioServerParameters(command=sys.executable, args=["-m", "api.commands.mcp_cmd", "--transport", "stdio"],
                                 env=env, cwd=str(REPO))


def test_stdio_server_lists_tools_reads_and_refuses_an_unapproved_order(database, keys, recent_bars):
    from mcp import Client

    async def main():
        async with Client(_params(keys["trader"]), read_timeout_seconds=60) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            positions = await client.call_tool("get_positions", {})
            order = await client.call_tool("place_order", {"order": {"symbol": "AAA", "side": "buy", "qty": 1,
                                                                     "decision_key": "stdio-1"}})
            return names, positions, order

    names, positions, order = anyio.run(main)

    assert "place_order" in names and "approve_request" not in names
    assert positions.is_error is False and positions.structured_content["mode"] == "paper"
    assert order.is_error is True and order.structured_content["status"] == "approval_required"
    assert count(database, "orders") == 0


@pytest.mark.slow
def test_stdio_server_without_a_valid_api_key_does_not_serve(database):
    from mcp import Client

    async def main():
        async with Client(_params("qp_000000000000_wrong"), read_timeout_seconds=30) as client:
            await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 - the child exits before answering; the client's error type varies
        anyio.run(main)


def test_http_requests_without_a_valid_bearer_key_get_401(database, keys, toolbox):
    from starlette.testclient import TestClient

    from api.mcp_server import BearerGate, build_mcp_server, caller_from_key
    from memory.users import UserStore

    store = UserStore(database)
    app = BearerGate(build_mcp_server(toolbox).streamable_http_app(host="127.0.0.1"),
                     lambda key: caller_from_key(store, key))
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        missing = client.post("/mcp", json=body)
        wrong = client.post("/mcp", json=body, headers={"Authorization": "Bearer qp_000000000000_nope"})

    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.json()["error"]["code"] == "unauthorized"


def test_http_client_with_a_bearer_key_lists_and_calls_tools_as_its_role(database, keys, toolbox, recent_bars):
    import socket
    import threading
    import time

    import httpx2
    import uvicorn
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    from api.mcp_server import BearerGate, build_mcp_server, caller_from_key
    from memory.users import UserStore

    store = UserStore(database)
    app = BearerGate(build_mcp_server(toolbox).streamable_http_app(host="127.0.0.1"),
                     lambda key: caller_from_key(store, key))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)

    async def main(key: str):
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
        async with http, Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            order = await client.call_tool("place_order", {"order": {"symbol": "AAA", "side": "buy", "qty": 1,
                                                                     "decision_key": "http-1"}})
            return names, order

    try:
        viewer_names, viewer_order = anyio.run(main, keys["viewer"])
        trader_names, trader_order = anyio.run(main, keys["trader"])
    finally:
        server.should_exit = True
        thread.join(timeout=10)

    assert "place_order" not in viewer_names and "place_order" in trader_names
    assert viewer_order.structured_content["code"] == "role_too_low"
    assert trader_order.structured_content["status"] == "approval_required"
    assert count(database, "orders") == 0
