"""The API equivalents of the CLI's reads: a real ``quantpilot serve`` started on the end-to-end home, the time
from its process start to its first answer, each read endpoint's latency (p50 of the runs after one warm-up,
one request at a time over one keep-alive connection) and the server's peak RSS.

What a person on the web page or an API client waits for: the server is started once, so a request pays no
interpreter start or import (the CLI's reads do). Used by ``benchmarks/end_to_end.py``; one JSON line per row.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from benchmarks.peers.workloads import emit


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_mb(pid: int) -> float | None:
    """The process's peak resident set (``VmHWM``) in MB, None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get(conn: http.client.HTTPConnection, path: str, key: str) -> int:
    conn.request("GET", path, headers={"X-API-Key": key})
    response = conn.getresponse()
    response.read()
    return response.status


def measure_api_reads(quantpilot: Path, env: Mapping[str, str], cwd: Path, api_key: str, paths: Mapping[str, str],
                      runs: int) -> None:
    """Start ``quantpilot serve`` (one worker), time it to its first ``/ready`` answer, then ``runs`` requests of
    each of ``paths`` (name -> path); stop it. Emits ``e2e_api`` records."""
    port = _free_port()
    began = time.perf_counter()
    server = subprocess.Popen([str(quantpilot), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                               "--log-level", "warning"], env={**env, "QUANTPILOT_API_RATE_LIMIT": "100000/minute"},
                              cwd=cwd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        ready_s = _wait_ready(port, server, began)
        emit("e2e_api", "quantpilot serve", (ready_s, _cpu_s(server.pid)),
             command="serve: process start to first /ready answer", peak_mb=_peak_mb(server.pid), runs=1,
             load_avg_1m_after=round(os.getloadavg()[0], 2))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for name, path in paths.items():
            status = _get(conn, path, api_key)  # warm-up: the route's first call imports what it needs
            load_before = os.getloadavg()[0]
            walls, cpu_before = [], _cpu_s(server.pid)
            for _ in range(runs):
                start = time.perf_counter()
                status = _get(conn, path, api_key)
                walls.append(time.perf_counter() - start)
            cpu = (_cpu_s(server.pid) - cpu_before) / runs  # the server's, per request (tick-grained: 10 ms)
            emit("e2e_api", "quantpilot API", (statistics.median(walls), cpu), command=f"GET {path} ({name})",
                 status=status, runs=runs, walls=[round(w, 4) for w in walls], peak_mb=_peak_mb(server.pid),
                 load_avg_1m=round(load_before, 2), load_avg_1m_after=round(os.getloadavg()[0], 2))
        conn.close()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


def _wait_ready(port: int, server: subprocess.Popen, began: float, timeout_s: float = 120.0) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"quantpilot serve exited with {server.returncode}: "
                             f"{server.stderr.read().decode(errors='replace')[-1500:] if server.stderr else ''}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                return time.perf_counter() - began
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("quantpilot serve was not ready in time")
