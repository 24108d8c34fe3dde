"""The resident research process (``api.research_server``), run for real: the ``quantpilot`` command in a
subprocess, the process it starts, the test's embedded Postgres. What it answers must be what the command gives
in its own process: the same tables, the same errors and exit codes, the same stored runs under the same user."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.research_server import client
from api.research_server.wire import ServerPaths
from tests.integration.cli_runner import load_synthetic

ROOT = Path(__file__).resolve().parents[2]
SYMBOLS = "AAA,BBB"
GRID = ("backtest", "grid", "--strategy", "sma_crossover", "--symbols", SYMBOLS, "--start", "2019-01-01",
        "--grid", "fast=5:15:5", "--grid", "slow=20:40:10")
WALK_FORWARD = ("walkforward", "--strategy", "sma_crossover", "--symbols", SYMBOLS, "--grid", "fast=5:10:5",
                "--grid", "slow=20:30:10", "--in-sample-days", "126", "--out-of-sample-days", "63")

pytestmark = pytest.mark.slow


@pytest.fixture()
def resident(database, act_as, test_home, monkeypatch):
    """Bars of two synthetic stocks, a trader's key, and the command's environment with the resident process on
    (this process's too, so a process it starts has the commands' settings); whatever process the test started is
    stopped afterwards."""
    issued = act_as("trader")
    load_synthetic(SYMBOLS)
    monkeypatch.setenv("QUANTPILOT_RESEARCH_SERVER", "auto")
    monkeypatch.setenv("QUANTPILOT_RESEARCH_SERVER_IDLE_MINUTES", "2")  # one left behind ends soon anyway
    paths = ServerPaths.for_home(test_home)
    yield {**os.environ, "COLUMNS": "80"}, paths, issued
    client.stop(paths)
    time.sleep(0.5)  # a process a command started as it ended may still be on its way to the lock
    client.stop(paths)
    for pid in _resident_processes(test_home):  # none should be left; never leave one on the test database
        os.kill(pid, signal.SIGKILL)


def _resident_processes(home: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"api.research_server" in command and f"QUANTPILOT_HOME={home}".encode() in environ:
            found.append(int(entry.name))
    return found


def _quantpilot(environment: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=300)


def _started(paths: ServerPaths) -> dict:
    info = client.wait_until_ready(paths, wait_s=120)
    assert info is not None, paths.log.read_text() if paths.log.exists() else "no log"
    return info


def _same_apart_from_run_and_timings(text: str) -> str:
    text = re.sub(r"\brun \d+", "run N", text)
    text = re.sub(r"runs/\d+/", "runs/N/", text)
    return re.sub(r"\d[\d,.]* (ms|s)\b", "T", text)


def _runs(environment: dict) -> list[dict]:
    listed = _quantpilot(environment, "runs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_a_grid_answered_by_the_resident_process_reads_as_the_commands_own(resident):
    environment, paths, issued = resident
    assert client.status(paths) is None

    own = _quantpilot(environment, *GRID)  # no resident process yet: the command runs it and starts one
    assert own.returncode == 0, own.stderr
    info = _started(paths)
    assert info["served"] == 0
    handed = _quantpilot(environment, *GRID)

    assert handed.returncode == 0, handed.stderr
    assert client.status(paths)["served"] == 1  # this one was answered there
    assert _same_apart_from_run_and_timings(handed.stdout) == _same_apart_from_run_and_timings(own.stdout)
    assert "3 stocks" not in handed.stdout and "best by Sharpe" in handed.stdout
    runs = [r for r in _runs(environment) if r["kind"] == "grid"]
    assert len(runs) == 2 and {r["created_by"] for r in runs} == {issued.user.name}
    report = re.search(r"report: (\S+)", handed.stdout.replace("\n", ""))
    assert report and Path(report.group(1)).exists()


def test_json_answers_keep_every_field(resident):
    environment, paths, _ = resident
    own = json.loads(_quantpilot(environment, *GRID, "--json").stdout)
    _started(paths)
    handed = json.loads(_quantpilot(environment, *GRID, "--json").stdout)
    assert client.status(paths)["served"] == 1
    assert set(handed) == set(own) and handed["best"] == own["best"] and handed["overfitting"] == own["overfitting"]
    assert handed["run_id"] == own["run_id"] + 1


def test_walk_forward_progress_reaches_the_command(resident):
    environment, paths, issued = resident
    client.start_resident(paths)
    _started(paths)
    seen: list[tuple[int, int]] = []
    result = client.ask_resident(paths, "walk_forward", ("sma_crossover", ["AAA", "BBB"], {"fast": [5, 10],
                                 "slow": [20, 30]}, None, None), {"in_sample_days": 126, "out_of_sample_days": 63},
                                 issued.api_key, lambda done, total: seen.append((done, total)))
    assert result is not None and result["run_id"] > 0
    assert seen and seen[-1][0] == seen[-1][1] and [d for d, _ in seen] == sorted(d for d, _ in seen)
    by_command = _quantpilot(environment, *WALK_FORWARD)
    assert by_command.returncode == 0, by_command.stderr
    assert client.status(paths)["served"] == 2 and "walk-forward run" in by_command.stdout


def test_bad_input_reads_the_same_and_stores_nothing(resident):
    environment, paths, _ = resident
    client.start_resident(paths)
    _started(paths)
    off = {**environment, "QUANTPILOT_RESEARCH_SERVER": "off"}
    unknown = ("backtest", "grid", "--strategy", "no_such", "--symbols", SYMBOLS, "--grid", "fast=5:10:5")
    for args, environ in ((unknown, environment), (unknown, {**environment, "QUANTPILOT_API_KEY": "qp_wrong"})):
        handed, own = _quantpilot(environ, *args), _quantpilot({**environ, "QUANTPILOT_RESEARCH_SERVER": "off"}, *args)
        assert handed.returncode == own.returncode == 2
        assert handed.stderr == own.stderr and handed.stderr.startswith("error:")
        assert "Traceback" not in handed.stderr
    assert client.status(paths)["served"] >= 1  # they did reach it (a settings match: same environment)
    assert _runs(off) == []


def test_a_command_with_other_settings_runs_itself_and_the_old_process_ends(resident):
    environment, paths, _ = resident
    client.start_resident(paths)
    first = _started(paths)["pid"]
    other = _quantpilot({**environment, "QUANTPILOT_STALE_AFTER_DAYS": "9"}, *GRID)
    assert other.returncode == 0, other.stderr
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (info := client.status(paths)) and info["pid"] == first:
        time.sleep(0.1)
    assert "other settings" in paths.log.read_text()
    assert len(_runs(environment)) == 1  # answered once, by the command itself


def test_status_stop_and_a_private_socket(resident):
    environment, paths, _ = resident
    assert "not running" in _quantpilot(environment, "research-server", "status").stdout
    started = _quantpilot(environment, "research-server", "start")
    assert started.returncode == 0, started.stderr
    assert "state: running" in started.stdout and "memory:" in started.stdout
    shown = _quantpilot(environment, "research-server", "status").stdout
    assert f"log: {paths.log}" in shown and all(len(line) <= 80 for line in shown.splitlines() if "log:" not in line)
    assert paths.socket.stat().st_mode & 0o777 == 0o600 and paths.run_dir.stat().st_mode & 0o777 == 0o700
    status = json.loads(_quantpilot(environment, "research-server", "status", "--json").stdout)
    assert status["running"] and status["mode"] == "auto" and status["resident_mb"] > 0
    stopped = _quantpilot(environment, "research-server", "stop")
    assert stopped.stdout.strip() == f"research process {status['pid']} stopped"
    assert not paths.socket.exists() and client.status(paths) is None
    assert "was not running" in _quantpilot(environment, "research-server", "stop").stdout


def test_a_command_that_goes_away_leaves_the_process_serving(resident):
    environment, paths, issued = resident
    client.start_resident(paths)
    _started(paths)
    import socket

    from api.research_server.wire import receive, send, settings_fingerprint

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:  # a command that asks, then is killed
        connection.connect(str(paths.socket))
        stream = connection.makefile("rwb")
        send(stream, {"op": "call", "method": "walk_forward", "args": ["sma_crossover", ["AAA", "BBB"],
              {"fast": [5, 10], "slow": [20, 30]}, None, None], "kwargs": {"in_sample_days": 126},
              "key": issued.api_key, "progress": True, "fingerprint": settings_fingerprint()})
        assert receive(stream) == {"accepted": True}
    # accepted, then the connection is gone before the answer: the request is interrupted or its answer dropped
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and client.status(paths)["busy"]:
        time.sleep(0.05)
    handed = _quantpilot(environment, *GRID)
    assert handed.returncode == 0, handed.stderr
    assert client.status(paths)["served"] == 2
