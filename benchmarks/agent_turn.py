"""Agent turn overhead: quantpilot's graph vs a plain LangGraph graph of the same shape, one run.

A turn is supervisor -> one agent -> one tool -> answer, with a scripted chat model (no network,
no LLM; ``benchmarks/agent_graphs.py``). Variants: no checkpointer, in memory, and PostgresSaver
on the embedded server (``memory.db.connect`` on a temporary QUANTPILOT_HOME). quantpilot is
timed through ``graph.runner.run_turn`` (what every interface calls) and, to show what the runner
itself costs, through ``graph.invoke``; without a checkpointer only ``invoke`` is possible (the
runner reads the thread's state). Also the interrupt/resume pair (a tool asks for an approval;
quantpilot stores it, through ``ApprovalStore`` + ``AuditLog`` on Postgres) and turn 200 vs turn 1
of one long thread. Every turn but the long thread's is on a new thread. The turn variants are
sampled interleaved (one call of each peer per round, order rotating), so load from other
processes on a shared machine falls on all peers alike. On Postgres quantpilot uses its saver
(``memory.checkpoint.postgres_checkpointer``) and plain LangGraph uses LangGraph's own ``PostgresSaver``
on the same server, as the issue measured it. Two plain peers: the minimal shape (``plain langgraph``)
and the same graph with the empty steps quantpilot's design requires (``plain langgraph, quantpilot's
nodes``: request and apply nodes around the interrupt, the answer back through the supervisor), so the
ratios separate what those LangGraph steps cost from what quantpilot does in them. One JSON line per
figure (p50/p95 wall ms, p50 CPU ms, ``over_plain_*`` and ``over_same_nodes_*`` ratios). Goals:
quantpilot adds <= 50 % (ours/plain p50 <= 1.5); turn 200 <= 1.5 × turn 1.
Run: `.venv/bin/python benchmarks/agent_turn.py [--turns 100] [--thread-turns 200] [--quick]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langchain_core.messages import HumanMessage  # noqa: E402
from langgraph.types import Command  # noqa: E402

from benchmarks.agent_graphs import ASK_APPROVAL, InMemoryApprovals, plain_graph, quantpilot_graph  # noqa: E402
from graph.context import GraphContext  # noqa: E402
from graph.runner import resume_turn, run_turn  # noqa: E402
from graph.state import new_budget  # noqa: E402
from guardrails.approvals import ApprovalDecision  # noqa: E402

USER = {"id": "bench", "role": "trader"}
TEXT = "what is the last close of AAPL"


def _thread() -> dict[str, Any]:
    return {"configurable": {"thread_id": f"thr_{uuid.uuid4().hex[:16]}"}}


def runner_payload(text: str) -> dict[str, Any]:
    """The input ``graph.runner.stream_turn`` sends at each new turn (for the ``invoke`` timings)."""
    return {"messages": [HumanMessage(content=text)], "user": USER, "budget": new_budget(), "hops": 0,
            "next_agent": None, "stop_reason": None, "refusal": None, "ungrounded_numbers": [],
            "untrusted_flags": None, "recollections": []}


def sample(run: Callable[[], Any], n: int, warmup: int = 3) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``n`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        run()
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def sample_interleaved(runs: dict[str, Callable[[], Any]], n: int, warmup: int = 3
                       ) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU seconds of ``n`` calls of each of ``runs``, taken in turn (the order rotating each round), so
    load from other processes on a shared machine falls on every peer alike."""
    for run in runs.values():
        for _ in range(warmup):
            run()
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in runs}
    names = list(runs)
    for i in range(n):
        for name in names[i % len(names):] + names[:i % len(names)]:
            start, start_cpu = time.perf_counter(), time.process_time()
            runs[name]()
            times[name][0].append(time.perf_counter() - start)
            times[name][1].append(time.process_time() - start_cpu)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def emit_latency(workload: str, peer: str, wall: list[float], cpu: list[float], **extra: Any) -> dict:
    record = {"workload": workload, "peer": peer, "seconds": round(statistics.median(wall), 6),
              "cpu_seconds": round(statistics.median(cpu), 6), "p50_ms": round(pct(wall, 0.5) * 1e3, 2),
              "p95_ms": round(pct(wall, 0.95) * 1e3, 2), "cpu_p50_ms": round(pct(cpu, 0.5) * 1e3, 2),
              "n": len(wall), "load_avg_1m": round(os.getloadavg()[0], 2), **extra}
    print(json.dumps(record), flush=True)
    return record


def _ratios(walls: list[float], cpus: list[float], baselines: dict[str, tuple[list[float], list[float]]]
            ) -> dict[str, float]:
    """``over_<name>_p50`` (wall) and ``over_<name>_cpu_p50`` against each baseline peer's medians."""
    out: dict[str, float] = {}
    for name, (base_wall, base_cpu) in baselines.items():
        out[f"over_{name}_p50"] = round(statistics.median(walls) / statistics.median(base_wall), 3)
        out[f"over_{name}_cpu_p50"] = round(statistics.median(cpus) / statistics.median(base_cpu), 3)
    return out


PLAIN, SAME_NODES = "plain langgraph", "plain langgraph, quantpilot's nodes"
BASELINES = {PLAIN: "plain", SAME_NODES: "same_nodes"}  # peer -> its key in the ratio names


def time_turns(variant: str, checkpointer: Any, context: GraphContext, n: int, plain_checkpointer: Any = None) -> None:
    ours = quantpilot_graph(checkpointer)
    plain_saver = checkpointer if plain_checkpointer is None else plain_checkpointer
    plain, same = plain_graph(plain_saver), plain_graph(plain_saver, same_nodes=True)
    runs: dict[str, Callable[[], Any]] = {}
    if checkpointer is not None:
        runs["quantpilot run_turn"] = lambda: run_turn(ours, _thread()["configurable"]["thread_id"], USER, TEXT,
                                                       context=context)
    runs["quantpilot graph.invoke"] = lambda: ours.invoke(runner_payload(TEXT), _thread(), context=context)
    runs[PLAIN] = lambda: plain.invoke({"messages": [HumanMessage(TEXT)]}, _thread())
    runs[SAME_NODES] = lambda: same.invoke({"messages": [HumanMessage(TEXT)]}, _thread())
    times = sample_interleaved(runs, n)
    for peer, (wall, cpu) in times.items():
        baselines = {key: times[name] for name, key in BASELINES.items() if name != peer and peer != PLAIN}
        emit_latency(f"agent_turn_{variant}", peer, wall, cpu, **_ratios(wall, cpu, baselines))


def _decision(approval_id: str) -> dict[str, Any]:
    return ApprovalDecision(approval_id=approval_id, verdict="approved", approver="approver", channel="cli",
                            decided_at=datetime.now(UTC)).model_dump(mode="json")


def time_interrupt_resume(variant: str, checkpointer: Any, context: GraphContext, n: int,
                          plain_checkpointer: Any = None) -> None:
    """The turn that stops at the approval interrupt, then the resume that answers it (each timed)."""
    ours = quantpilot_graph(checkpointer, ASK_APPROVAL)
    plain_saver = checkpointer if plain_checkpointer is None else plain_checkpointer

    def plain_peer(graph: Any) -> tuple[Callable[[str], Any], Callable[[str, Any], Any]]:
        return (lambda tid: graph.invoke({"messages": [HumanMessage(TEXT)]}, {"configurable": {"thread_id": tid}}),
                lambda tid, _: graph.invoke(Command(resume={"verdict": "approved"}),
                                            {"configurable": {"thread_id": tid}}))

    ours_peer = "quantpilot run_turn/resume_turn"
    peers = (
        (ours_peer,
         lambda tid: run_turn(ours, tid, USER, TEXT, context=context).pending_approval,
         lambda tid, pending: resume_turn(ours, tid, _decision(pending["id"]), context=context)),
        (PLAIN, *plain_peer(plain_graph(plain_saver, ASK_APPROVAL))),
        (SAME_NODES, *plain_peer(plain_graph(plain_saver, ASK_APPROVAL, same_nodes=True))),
    )
    results = {peer: ({"interrupt": [], "resume": []}, {"interrupt": [], "resume": []}) for peer, _, _ in peers}
    for i in range(n + 2):  # one pair of each peer per round, the order rotating
        for peer, interrupt_once, resume_once in peers[i % 3:] + peers[:i % 3]:
            walls, cpus = results[peer]
            tid = _thread()["configurable"]["thread_id"]
            start, start_cpu = time.perf_counter(), time.process_time()
            pending = interrupt_once(tid)
            mid, mid_cpu = time.perf_counter(), time.process_time()
            resume_once(tid, pending)
            end, end_cpu = time.perf_counter(), time.process_time()
            if i >= 2:  # two warm-up rounds
                walls["interrupt"].append(mid - start)
                cpus["interrupt"].append(mid_cpu - start_cpu)
                walls["resume"].append(end - mid)
                cpus["resume"].append(end_cpu - mid_cpu)
    for step in ("interrupt", "resume"):
        for peer, (walls, cpus) in results.items():
            baselines = {} if peer == PLAIN else {
                key: (results[name][0][step], results[name][1][step]) for name, key in BASELINES.items()
                if name != peer}
            emit_latency(f"agent_{step}_{variant}", peer, walls[step], cpus[step],
                         **_ratios(walls[step], cpus[step], baselines))


def time_long_thread(variant: str, checkpointer: Any, context: GraphContext, turns: int) -> None:
    """One thread of ``turns`` turns: median (and mean, which carries the archiving quantpilot does every few
    turns) of the first 10 turns vs the last 10 (first/last 5 if short); and how many messages the state holds.

    Load on a shared machine drifts between the first and the last turns, so the last ``k`` turns are also
    interleaved with ``k`` first turns of new threads: ``last_over_turn1_interleaved`` compares the two
    measured side by side."""
    k = 10 if turns >= 40 else 5
    ours, plain = quantpilot_graph(checkpointer), plain_graph(checkpointer)
    for peer, turn in (("quantpilot run_turn", lambda tid: run_turn(ours, tid, USER, TEXT, context=context)),
                       ("plain langgraph", lambda tid: plain.invoke({"messages": [HumanMessage(TEXT)]},
                                                                   {"configurable": {"thread_id": tid}}))):
        tid = _thread()["configurable"]["thread_id"]
        wall, cpu = sample(lambda: turn(tid), turns - k, warmup=0)  # noqa: B023
        times = sample_interleaved({"long": lambda: turn(tid),  # noqa: B023
                                    "new": lambda: turn(_thread()["configurable"]["thread_id"])}, k,  # noqa: B023
                                   warmup=0)
        wall, cpu = wall + times["long"][0], cpu + times["long"][1]
        first, last = statistics.median(wall[:k]), statistics.median(wall[-k:])
        state = (ours if peer.startswith("quantpilot") else plain).get_state({"configurable": {"thread_id": tid}})
        record = {"workload": f"agent_long_thread_{variant}", "peer": peer, "turns": turns, "window": k,
                  "first_turns_ms": round(first * 1e3, 2), "last_turns_ms": round(last * 1e3, 2),
                  "last_over_first_mean": round(statistics.mean(wall[-k:]) / statistics.mean(wall[:k]), 3),
                  "turn1_interleaved_ms": round(statistics.median(times["new"][0]) * 1e3, 2),
                  "last_over_turn1_interleaved": round(last / statistics.median(times["new"][0]), 3),
                  "last_over_turn1_interleaved_cpu": round(statistics.median(cpu[-k:])
                                                           / statistics.median(times["new"][1]), 3),
                  "state_messages_at_end": len(state.values.get("messages", [])),
                  "first_turns_cpu_ms": round(statistics.median(cpu[:k]) * 1e3, 2),
                  "last_turns_cpu_ms": round(statistics.median(cpu[-k:]) * 1e3, 2),
                  "last_over_first": round(last / first, 3), "load_avg_1m": round(os.getloadavg()[0], 2)}
        print(json.dumps(record), flush=True)


def stock_postgres_saver(database: Any) -> Any:
    """LangGraph's own ``PostgresSaver`` on the same server (what a plain LangGraph app uses), on a pool
    like quantpilot's (autocommit, no prepared statements, dict rows, 4 connections)."""
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    from memory.server import libpq_url

    pool = ConnectionPool(libpq_url(database.url), min_size=1, max_size=4, open=True,
                          kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})
    saver = PostgresSaver(pool)  # type: ignore[arg-type]
    saver.setup()
    return saver


def main() -> None:
    from benchmarks.isolation import use_private_home

    use_private_home("quantpilot-bench-turn-")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100, help="timed turns per variant")
    parser.add_argument("--thread-turns", type=int, default=200, help="turns of the long thread")
    parser.add_argument("--quick", action="store_true", help="5 turns, a 20-turn thread, in memory only")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgresSaver variant")
    args = parser.parse_args()
    turns, thread_turns = (5, 20) if args.quick else (args.turns, args.thread_turns)
    from memory.checkpoint import in_memory_checkpointer

    memory_context = GraphContext(approvals=InMemoryApprovals())
    time_turns("no_checkpointer", None, memory_context, turns)
    time_turns("in_memory", in_memory_checkpointer(), memory_context, turns)
    time_interrupt_resume("in_memory", in_memory_checkpointer(), memory_context, turns)
    time_long_thread("in_memory", in_memory_checkpointer(), memory_context, thread_turns)
    if args.quick or args.no_postgres:
        return
    from config import Settings
    from memory.approvals import ApprovalStore
    from memory.audit import AuditLog
    from memory.checkpoint import postgres_checkpointer
    from memory.db import connect

    database = connect(Settings())
    saver = postgres_checkpointer(database)
    stock = stock_postgres_saver(database)
    pg_context = GraphContext(approvals=ApprovalStore(database), audit=AuditLog(database))
    time_turns("postgres", saver, pg_context, turns, stock)
    time_interrupt_resume("postgres", saver, pg_context, turns, stock)
    time_long_thread("postgres", saver, pg_context, thread_turns)


if __name__ == "__main__":
    main()
