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


def run_child(*args: str, env: dict[str, str], timeout_s: float = 120, exit_code: int = 0) -> dict:
    """Run the child to its end; its last stdout line parsed as JSON (asserts the exit code)."""
    proc = subprocess.run([sys.executable, "-m", "tests.reliability.crash_child", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout_s)
    assert proc.returncode == exit_code, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pause_child_at(*args: str, point: str, env: dict[str, str], during: Callable[[], object],
                   timeout_s: float = 120) -> tuple[int, dict, str]:
    """Start the child paused at ``point`` (``QP_PAUSE_AT``), call ``during()`` while it waits there, let it
    go on, and return (exit code, its last stdout line as JSON or ``{"last_line": …}``, its stderr)."""
    import tempfile

    go = Path(tempfile.mkdtemp(prefix="qp-go-")) / "go"
    proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.crash_child", *args], cwd=REPO,
                            env={**env, "QP_PAUSE_AT": point, "QP_GO_FILE": str(go)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        deadline = time.monotonic() + timeout_s
        for line in proc.stdout:
            if line.strip() == f"AT:{point}":
                break
            assert time.monotonic() < deadline, f"pause point {point!r} not reached"
        else:
            raise AssertionError(f"child ended before {point!r}: {proc.stderr.read()[-3000:]}")
        during()
        go.touch()
        out, err = proc.communicate(timeout=timeout_s)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    last = (out.strip().splitlines() or [""])[-1]
    return proc.returncode, (json.loads(last) if last.startswith("{") else {"last_line": last}), err


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
