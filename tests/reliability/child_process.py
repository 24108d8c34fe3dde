"""Run ``tests.reliability.crash_child`` as a real subprocess on the test database and SIGKILL it at a
signalled point (an ``AT:<point>`` line on its stdout) or when a database condition holds."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENV_KEYS = ("QUANTPILOT_HOME", "QUANTPILOT_EMBEDDED_URL", "NUMBA_CACHE_DIR", "PATH")


def child_env(**extra: str) -> dict[str, str]:
    """The child's environment: the test home and database only (joined, never stopped), no secrets."""
    env = {k: os.environ[k] for k in ENV_KEYS if k in os.environ}
    env.update({"PYTHONPATH": str(REPO), "QUANTPILOT_DB_KEEP_RUNNING": "true", **extra})
    return env


def run_child(*args: str, env: dict[str, str], timeout_s: float = 120) -> dict:
    """Run the child to its end; its last stdout line parsed as JSON (asserts a zero exit)."""
    proc = subprocess.run([sys.executable, "-m", "tests.reliability.crash_child", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout_s)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def kill_child_at(*args: str, point: str | None, env: dict[str, str], until: Callable[[], bool] | None = None,
                  timeout_s: float = 120) -> list[str]:
    """Start the child; SIGKILL it as soon as it prints ``AT:<point>`` (or ``until()`` is true, polled every
    10 ms). Returns the stdout lines it printed; fails if it ended before being killed."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.crash_child", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.01)
            except queue.Empty:
                line = ""
            if line is None:
                raise AssertionError(f"child ended before the kill point {point!r}: {seen} "
                                     f"{proc.stderr.read()[-3000:] if proc.stderr else ''}")
            if line:
                seen.append(line)
            if (point is not None and line == f"AT:{point}") or (until is not None and until()):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                assert proc.returncode == -signal.SIGKILL
                return seen
        raise AssertionError(f"kill point {point!r} not reached in {timeout_s}s: {seen}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
