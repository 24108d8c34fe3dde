"""The product's agent path in one process: data → backtest → approval, three turns with the offline planner.

What ``quantpilot chat`` (or the API's agent endpoint, once started) does for a person: the real graph
(``graph.wiring.product_graph``: the five agents with the offline planner, their tools, the guardrails), on the
Postgres checkpointer of a private embedded server holding the bundled AAPL and MSFT prices. Each round is a
new thread: "load data for AAPL and MSFT" (the data agent reads the stored bars), "backtest an SMA crossover on
AAPL and MSFT since 2015" (the strategy agent runs and stores a backtest with its report), "promote it to
backtested" (the strategy review is asked for: the turn ends at the approval interrupt). The approver then
rejects the request, untimed, so every round asks afresh. One warm-up round (imports, kernels, caches), then
``--rounds`` timed rounds: p50/p95 of each turn and of the three together, wall and CPU. Goal (issue 20):
the three turns together under 1 s.
Run: `.venv/bin/python benchmarks/agent_flow.py [--rounds 10] [--quick]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peers.workloads import emit  # noqa: E402

TURNS = (("data", "load data for AAPL and MSFT"),
         ("backtest", "backtest an SMA crossover on AAPL and MSFT since 2015"),
         ("approval", "promote it to backtested"))
GOAL_S = 1.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    from benchmarks.isolation import use_private_home

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds (three turns each)")
    parser.add_argument("--quick", action="store_true", help="2 rounds (a smoke run)")
    args = parser.parse_args()
    rounds = 2 if args.quick else max(args.rounds, 1)
    home = use_private_home("quantpilot-bench-flow-")
    os.environ.setdefault("NUMBA_CACHE_DIR", str(_settings().numba_cache_dir))

    from api.cli_auth import user_service
    from graph.approval_resume import approval_service
    from graph.runner import ChatSession
    from graph.wiring import product_context, product_graph
    from memory.db import connect
    from memory.threads import ThreadStore
    from services.market_data import MarketDataService

    settings = _settings()
    database = connect(settings)
    users = user_service()
    trader = users.provision("dana", "trader", home / "dana.key", by="benchmark")
    approver = users.provision("avery", "approver", home / "avery.key", by="benchmark")
    MarketDataService(database, actor=trader).load("bundled", ["AAPL", "MSFT"])
    context = product_context(settings, database, channel="cli")
    graph = product_graph(settings, database, user=trader.name)
    approvals = approval_service(context, graph)
    person = {"id": trader.name, "role": trader.role.value, "user_id": trader.user_id}

    walls: dict[str, list[float]] = {name: [] for name, _ in TURNS} | {"total": []}
    cpus: dict[str, list[float]] = {name: [] for name, _ in TURNS} | {"total": []}
    load_before = os.getloadavg()[0]
    for i in range(rounds + 1):  # round 0 warms up
        session = ChatSession(graph, person, context=context, threads=ThreadStore(database))
        total, total_cpu = 0.0, 0.0
        for name, text in TURNS:
            start, start_cpu = time.perf_counter(), time.process_time()
            result = session.send(text)
            wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            total, total_cpu = total + wall, total_cpu + cpu
            if i:
                walls[name].append(wall)
                cpus[name].append(cpu)
        if not result.pending_approval:
            raise SystemExit(f"the promotion was not offered for approval: {result.answer[:300]}")
        approvals.reject(approver, result.pending_approval["id"], "benchmark round: ask again")
        if i:
            walls["total"].append(total)
            cpus["total"].append(total_cpu)
    for name in (*(n for n, _ in TURNS), "total"):
        emit("agent_flow_offline_planner", "quantpilot product graph", (statistics.median(walls[name]),
                                                                         statistics.median(cpus[name])),
             turn=name, p50_ms=round(_pct(walls[name], 0.5) * 1e3, 1), p95_ms=round(_pct(walls[name], 0.95) * 1e3, 1),
             cpu_p50_ms=round(_pct(cpus[name], 0.5) * 1e3, 1), n=len(walls[name]),
             goal_s=GOAL_S if name == "total" else None, load_avg_1m=round(load_before, 2),
             load_avg_1m_after=round(os.getloadavg()[0], 2))
    from memory.db import forget_connections

    forget_connections()


def _settings():
    from config import Settings

    return Settings()


if __name__ == "__main__":
    main()
