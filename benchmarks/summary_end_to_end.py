"""The run_all table's layer that a person feels: commands from process start to answer (CLI, the API's
reads, the demo) and the agent path in one process, with the issue's budgets judged on them."""

from __future__ import annotations

from typing import Any

from benchmarks.goal_figures import Record, find_record, judged, seconds_text

PEER_RATIO = 10.0  # the end-to-end grid's goal: at least this many times vectorbt
E2E = ("e2e_setup", "e2e_cli", "e2e_api", "e2e_backtest_grid", "e2e_walkforward")


def end_to_end_rows(records: list[Record]) -> list[Record]:
    """One row per command timed from process start (p50 wall and CPU, peak RSS, the load around it)."""
    keys = ("command", "peer", "seconds", "cpu_seconds", "peak_mb", "runs", "load_avg_1m", "load_avg_1m_after",
            "goal_s", "goal_mb", "elapsed_s", "overfitting_s", "kernel_load_s", "grid_s", "exit_codes", "expect_exit",
            "mode", "resident_peak_mb")
    return [{k: r.get(k) for k in keys} for r in records if r.get("workload") in E2E]


def _gap(value: float, limit: float, unit: str) -> str:
    return "" if value <= limit else f"; gap {value - limit:+.2f} {unit}"


def end_to_end_goals(records: list[Record]) -> list[Record]:
    """Issue 20's budgets: each command's p50 wall, and the grid against vectorbt in the same run."""
    out = []
    for r in (r for r in records if r.get("workload") in ("e2e_setup", "e2e_cli") and r.get("goal_s") is not None):
        ok_exit = r.get("exit_codes") in (None, [r.get("expect_exit", 0)])
        name = r["command"] if r["workload"] == "e2e_cli" else f"demo, {r['command']}"
        goal = judged(f"{name} <= {r['goal_s']:g} s (p50 of {r['runs']}, load {r['load_avg_1m']})",
                     f"{r['seconds']:.2f} s (CPU {r['cpu_seconds']:.2f}){_gap(r['seconds'], r['goal_s'], 's')}"
                     + ("" if ok_exit else f"; exit codes {r['exit_codes']}"), r["seconds"], r["goal_s"],
                     r["cpu_seconds"])
        out.append(goal if ok_exit else {**goal, "met": False})
    ours = find_record(records, "e2e_backtest_grid", "quantpilot", mode="resident")
    own = find_record(records, "e2e_backtest_grid", "quantpilot", mode="own process")
    script = find_record(records, "e2e_backtest_grid", "vectorbt")
    warm = find_record(records, "sma_grid_174_pairs_x_20_stocks", "vectorbt")
    for r, how in ((ours, "handed to the resident research process (from a session's second command)"),
                   (own, "in its own process (a session's first command, or the resident process off)")):
        if r and script:
            ratio = script["seconds"] / r["seconds"]
            out.append(judged(f"backtest grid {how}: wall >= {PEER_RATIO:g}x the vectorbt script's (process start "
                             f"to answer)", f"{ratio:.1f}x: {r['seconds']:.2f} s vs {script['seconds']:.2f} s (needs "
                             f"<= {script['seconds'] / PEER_RATIO:.2f} s)", ratio, PEER_RATIO,
                             script["cpu_seconds"] / max(r["cpu_seconds"], 1e-9), at_least=True))
    if own and warm and own.get("elapsed_s"):
        ratio = warm["seconds"] / own["elapsed_s"]
        loaded = own["elapsed_s"] + (own.get("kernel_load_s") or 0.0)
        out.append(judged(f"backtest grid elapsed_s >= {PEER_RATIO:g}x vectorbt's grid in-process",
                         f"{ratio:.1f}x: {own['elapsed_s']:.3f} s (overfitting {own.get('overfitting_s')} s) vs "
                         f"{warm['seconds']:.2f} s (needs <= {warm['seconds'] / PEER_RATIO:.3f} s); with the kernel "
                         f"load before it {loaded:.3f} s = {warm['seconds'] / loaded:.1f}x", ratio, PEER_RATIO,
                         at_least=True))
    for r in (r for r in records if r.get("workload") in ("e2e_backtest_grid", "e2e_walkforward")
              and str(r.get("peer", "")).startswith("quantpilot")):
        peak = max(r["peak_mb"], r.get("resident_peak_mb") or 0.0)
        resident = f"; the resident process's peak {r['resident_peak_mb']:.0f} MB" if r.get("resident_peak_mb") else ""
        out.append(judged(f"{r['peer']} peak RSS < {r['goal_mb']:g} MB", f"{r['peak_mb']:.0f} MB (max of "
                         f"{r['runs']}: {r['max_peak_mb']:.0f} MB){resident}", peak, r["goal_mb"]))
    return out


def agent_flow_goals(records: list[Record]) -> list[Record]:
    """Issue 20: the data → backtest → approval turns with the offline planner, in one process, under 1 s."""
    total = find_record(records, "agent_flow_offline_planner", "quantpilot", turn="total")
    if not total:
        return []
    turns = ", ".join(f"{r['turn']} {r['p50_ms']:.0f}" for r in records
                      if r.get("workload") == "agent_flow_offline_planner" and r.get("turn") != "total")
    return [judged(f"data → backtest → approval turns in-process < {total['goal_s']:g} s (p50 of {total['n']}, "
                   f"load {total['load_avg_1m']})", f"{total['seconds']:.2f} s, p95 {total['p95_ms'] / 1e3:.2f} s "
                   f"(CPU {total['cpu_seconds']:.2f}; ms per turn: {turns})", total["seconds"], total["goal_s"],
                   total["cpu_seconds"])]


def render_end_to_end(summary: dict[str, Any]) -> list[str]:
    """The Markdown lines of the agent path and the commands from process start, before the goals."""
    lines = ["", "Agent path in one process (the product graph, offline planner, Postgres; ms):", "",
             "| turn | p50 (CPU) | p95 | rounds |", "|---|---:|---:|---:|"]
    lines += [f"| {r['turn']} | {r['p50_ms']} ({r['cpu_p50_ms']}) | {r['p95_ms']} | {r['n']} |"
              for r in summary.get("agent_flow", [])]
    lines += ["", "End to end, process start to answer (what a person waits for; p50 of the runs, load average "
              "before → after; an API row is one request to a running server, its CPU the server's):", "",
              "| command | wall (CPU) | peak RSS | load | inside the command |", "|---|---:|---:|---|---|"]
    for r in summary.get("end_to_end", []):
        inside = ", ".join(f"{k} {seconds_text(r[k])}" for k in ("elapsed_s", "overfitting_s", "kernel_load_s",
                                                                 "grid_s") if r.get(k) is not None)
        peak = "—" if r.get("peak_mb") is None else f"{r['peak_mb']:.0f} MB"
        peak += f" + resident {r['resident_peak_mb']:.0f} MB" if r.get("resident_peak_mb") else ""
        lines.append(f"| {r['peer']}: {r['command']} | {seconds_text(r['seconds'])} "
                     f"({seconds_text(r['cpu_seconds'])}) | {peak} | {r['load_avg_1m']} → {r['load_avg_1m_after']} "
                     f"| {inside or '—'} |")
    return lines
