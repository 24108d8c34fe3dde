"""Shared fixtures: an isolated QUANTPILOT_HOME, the real embedded Postgres, and no network.

The embedded server is started once per test session on a temporary data directory; tests that
touch the database get it through the ``database`` fixture, which empties every table first.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="quantpilot-test-"))
os.environ["QUANTPILOT_HOME"] = str(_SESSION_HOME)
os.environ.pop("DATABASE_URL", None) if not os.environ.get("QUANTPILOT_TEST_DATABASE_URL") else None
# research commands run in the test's own process; tests/integration/test_cli_research_server.py starts the resident one
os.environ["QUANTPILOT_RESEARCH_SERVER"] = "off"
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".numba-cache"))
for _secret in ("QUANTPILOT_OPENAI_API_KEY", "QUANTPILOT_ALPACA_API_KEY", "QUANTPILOT_ALPACA_SECRET_KEY",
                "QUANTPILOT_SLACK_BOT_TOKEN", "QUANTPILOT_SLACK_SIGNING_SECRET"):
    os.environ.pop(_secret, None)

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guard(sock: socket.socket, address) -> None:
    if sock.family == socket.AF_UNIX:
        return
    host = address[0] if isinstance(address, tuple) else address
    if host in ("127.0.0.1", "::1", "localhost") or str(host).startswith("127."):
        return
    raise ConnectionRefusedError(f"tests may not use the network (tried to connect to {address!r})")


def _guarded_connect(self, address):
    _guard(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _guard(self, address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def pytest_addoption(parser):
    parser.addoption("--run-soak", action="store_true", default=False, help="run the long soak checks")


def pytest_collection_finish(session):
    """Importing test modules must not repoint the suite at another home or database."""
    moved = {k: os.environ.get(k) for k in ("QUANTPILOT_HOME", "DATABASE_URL", "QUANTPILOT_DATABASE_URL")
             if os.environ.get(k) != ({"QUANTPILOT_HOME": str(_SESSION_HOME)}.get(k))}
    if moved and not os.environ.get("QUANTPILOT_TEST_DATABASE_URL"):
        raise pytest.UsageError(f"a module changed the database settings at import time: {moved}")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-soak"):
        return
    skip = pytest.mark.skip(reason="soak check: run with `make soak`")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def test_home() -> Path:
    return _SESSION_HOME


@pytest.fixture(scope="session")
def _database_session():
    from config import Settings
    from memory.db import connect, forget_connections

    external = os.environ.get("QUANTPILOT_TEST_DATABASE_URL")
    settings = Settings(home=_SESSION_HOME, database_url=external) if external else Settings(home=_SESSION_HOME)
    database = connect(settings)
    yield database
    forget_connections()


def _emptied(database):
    from sqlalchemy import text

    from memory.models import whole_schema

    with database.engine.begin() as conn:
        saver = conn.execute(text("SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname"
                                  " = current_schema() AND tablename IN ('checkpoints', 'checkpoint_blobs',"
                                  " 'checkpoint_writes')")).scalar_one()
        tables = ", ".join([*(f'"{t}"' for t in whole_schema().tables), *([saver] if saver else [])])
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    (_SESSION_HOME / "credentials.json").unlink(missing_ok=True)  # its user is gone with the tables (a demo signs in)
    return database


@pytest.fixture()
def database(_database_session):
    """The real Postgres with every table emptied (schema and migrations kept), the LangGraph checkpointer's
    too: user ids restart at 1, so a thread key derived from one (``memory.threads``) recurs between tests."""
    return _emptied(_database_session)


@pytest.fixture(scope="module")
def module_database(_database_session):
    """The same, emptied once for a module whose tests read one expensive shared story."""
    return _emptied(_database_session)


@pytest.fixture()
def act_as(database, monkeypatch):
    """Sign the CLI in as a new stored user: ``act_as("approver")`` sets QUANTPILOT_API_KEY and returns the
    ``IssuedKey`` (``.user``, ``.api_key``; names are the role plus a counter unless given). ``signed_in=False``
    only creates the user."""
    import itertools

    from guardrails.policy import Role
    from memory.users import UserStore

    count = itertools.count(1)

    def sign_in(role: str = "trader", name: str | None = None, *, signed_in: bool = True):
        issued = UserStore(database).add(name or f"{role}{next(count)}", Role.parse(role))
        if signed_in:
            monkeypatch.setenv("QUANTPILOT_API_KEY", issued.api_key)
        return issued

    return sign_in
