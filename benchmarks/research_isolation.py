"""The API while a maximal allowed grid runs: peak memory of the API process, /health latency, the job's own
worker memory and run time.

A fresh QUANTPILOT_HOME, the bundled prices (20 stocks, 8,313 sessions), one trader key, then a real
`quantpilot serve` (1 worker, default settings: work budget, job memory limit) in a subprocess. Each grid is
posted to ``POST /api/v1/research/grid`` while one client asks ``GET /health`` every ``--health-every`` seconds
and the API process's and the job worker's resident memory are sampled. Grids:

- ``max_one_symbol``: AAPL, fast 2..61 x slow 20..218 step 2 (5,538 pairs x 1 x 8,313 = 46.0M cells, under the
  50M default budget): the most memory per cell the budget allows (one returns row per pair and bar);
- ``bench_20_stocks``: the RESULTS.md grid through the API, 174 pairs x 20 stocks x 8,313 bars = 28.9M cells;
- ``refused``: 100 x 100 values on all 20 stocks, refused at once (400) by the budget.

Run: `.venv/bin/python benchmarks/research_isolation.py [--json FILE]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOME = Path(tempfile.mkdtemp(prefix="quantpilot-research-isolation-"))

from benchmarks.api_load import _free_port, _percentile, start_server, wait_ready  # noqa: E402

GRIDS = {
    "max_one_symbol": {"symbols": ["AAPL"], "grid": {"fast": list(range(2, 62)), "slow": list(range(20, 220, 2))}},
    "bench_20_stocks": {"symbols": None, "grid": {"fast": list(range(5, 55, 5)), "slow": list(range(20, 210, 10))}},
}


def prepare() -> tuple[str, list[str]]:
    from config import Settings
    from guardrails.policy import Actor, Role
    from memory.db import connect
    from memory.users import UserStore
    from services.market_data import MarketDataService

    database = connect(Settings())
    report = MarketDataService(database, actor=Actor.system("benchmark")).load("bundled")
    stocks = [s for s in report.symbols if s not in ("SP500", "GSPC", "IXIC", "MTUM", "QUAL", "SIZE", "USMV", "VLUE")]
    key = UserStore(database).add("bench-trader", Role.TRADER).api_key
    database.engine.dispose()
    return key, sorted(stocks)[:20]


def _rss_mb(pid: int) -> tuple[float, float]:
    """(API process RSS, research workers' RSS) in MB: the server process itself, and its descendants that are
    neither Postgres nor uvicorn's own (the fork server and the job's worker process)."""
    import psutil

    try:
        root = psutil.Process(pid)
        api = root.memory_info().rss
        workers = 0
        for child in root.children(recursive=True):
            try:
                if child.name() not in ("postgres", "postmaster"):
                    workers += child.memory_info().rss
            except psutil.Error:
                continue
        return api / 2**20, workers / 2**20
    except psutil.Error:
        return 0.0, 0.0


def run_grid(base: str, key: str, pid: int, body: dict, health_every_s: float) -> dict:
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    api_peak = workers_peak = 0.0
    api_before, _ = _rss_mb(pid)
    with httpx.Client(base_url=base, timeout=30) as client:
        began = time.perf_counter()
        accepted = client.post("/api/v1/research/grid", json=body, headers=headers)
        if accepted.status_code != 202:
            return {"status": accepted.status_code, "answer_ms": round((time.perf_counter() - began) * 1000, 1),
                    "message": accepted.json()["error"]["message"]}
        run_id = accepted.json()["run_id"]
        done = threading.Event()
        run: dict = {}

        def poll() -> None:
            while not done.is_set():
                answer = client.get(f"/api/v1/backtests/{run_id}", headers=headers).json()
                if answer["status"] not in ("queued", "running"):
                    run.update(answer)
                    done.set()
                time.sleep(0.25)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        while not done.is_set():
            asked = time.perf_counter()
            assert client.get("/health").status_code == 200
            latencies.append((time.perf_counter() - asked) * 1000)
            api, workers = _rss_mb(pid)
            api_peak, workers_peak = max(api_peak, api), max(workers_peak, workers)
            time.sleep(health_every_s)
        poller.join()
        wall = time.perf_counter() - began
    ms = sorted(latencies)
    summary = run.get("summary") or {}
    return {"status": run["status"], "error": run.get("error"), "n_backtests": summary.get("n_backtests"),
            "job_elapsed_s": summary.get("elapsed_s"), "wall_s": round(wall, 2),
            "api_rss_mb_before": round(api_before, 1), "api_rss_mb_peak": round(api_peak, 1),
            "worker_rss_mb_peak": round(workers_peak, 1), "health_requests": len(ms),
            "health_p50_ms": round(_percentile(ms, 50), 2), "health_p95_ms": round(_percentile(ms, 95), 2),
            "health_max_ms": round(ms[-1], 2) if ms else None}


def main() -> None:
    from benchmarks.isolation import use_private_home

    use_private_home("quantpilot-research-isolation-", HOME)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--health-every", type=float, default=0.05, help="seconds between /health requests")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON result here")
    args = parser.parse_args()
    server = None
    try:
        key, stocks = prepare()
        port = _free_port()
        server = start_server(port, 1)
        base = f"http://127.0.0.1:{port}"
        asyncio.run(wait_ready(base, server))
        result: dict = {"cpus": os.cpu_count(), "load_before": round(os.getloadavg()[0], 2), "grids": {}}
        for name, spec in GRIDS.items():
            body = {"strategy": "sma_crossover", "symbols": spec["symbols"] or stocks, "grid": spec["grid"]}
            result["grids"][name] = run_grid(base, key, server.pid, body, args.health_every)
            print(name, json.dumps(result["grids"][name]), file=sys.stderr)
        refused = {"strategy": "sma_crossover", "symbols": stocks,
                   "grid": {"fast": list(range(1, 101)), "slow": list(range(1, 101))}}
        result["grids"]["refused"] = run_grid(base, key, server.pid, refused, args.health_every)
        print(json.dumps(result))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        from memory.db import forget_connections
        from memory.server import stop_embedded

        forget_connections()
        stop_embedded(HOME / "pgdata")
        shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
