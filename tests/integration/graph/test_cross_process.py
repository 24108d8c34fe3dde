"""A thread interrupted in one process is approved and completed from another (PostgresSaver)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "tests.integration.graph.two_process_script", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_thread_interrupted_in_one_process_is_resumed_by_an_approval_from_another(database, strategy_at,
                                                                                  thread_id, stores):
    _, strategies, _ = stores
    strategy_at("backtested")

    first = _run("request", thread_id)  # process A: runs to the interrupt and exits
    assert first["pending_approval"]["kind"] == "paper"
    assert strategies.get("sma_aapl").stage == "backtested"

    second = _run("approve", first["pending_approval"]["id"], "bob")  # process B: a fresh process approves

    assert second["approval"]["status"] == "applied"
    assert second["turn"]["pending_approval"] is None
    assert second["turn"]["route"][:3] == ["approval", "apply_approval", "strategy"]
    assert strategies.get("sma_aapl").stage == "paper"
