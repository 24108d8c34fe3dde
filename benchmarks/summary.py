"""The run_all table: our figure, the peer's figure and their ratio per workload, and the goals.

``build_summary(records, meta)`` turns the JSON lines of one run into ``{meta, comparisons, agent,
end_to_end, goals}``; ``render(summary)`` prints it as Markdown. Two layers: the kernels timed in
memory (what the library costs) and ``end_to_end``, commands timed from process start to answer
(``benchmarks/end_to_end.py``: what a person waits for). Ratios: for speed, peer / ours (above 1:
ours is faster), on wall time and on CPU time (the machine is shared: wall time grows with its
load, CPU time much less); for the agent graph, ours / plain LangGraph (its overhead). A goal is
judged on wall time; ``met_on_cpu`` says whether CPU time alone would meet it.
"""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]
QP = "quantpilot"
PEER_RATIO = 10.0  # the end-to-end grid's goal: at least this many times vectorbt


def _find(records: list[Record], workload: str, peer: str, **match: Any) -> Record | None:
    for r in records:
        if r.get("workload") == workload and str(r.get("peer", "")).startswith(peer) and all(
                r.get(k) == v for k, v in match.items()):
            return r
    return None


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 2)


def _pair(label: str, ours: Record | None, peer: Record | None, peer_key: str = "seconds",
          peer_cpu_key: str = "cpu_seconds") -> Record:
    o_s, o_c = (ours or {}).get("seconds"), (ours or {}).get("cpu_seconds")
    p_s, p_c = (peer or {}).get(peer_key), (peer or {}).get(peer_cpu_key)
    return {"workload": label, "ours": (ours or {}).get("peer"), "ours_s": o_s, "ours_cpu_s": o_c,
            "peer": (peer or {}).get("peer"), "peer_s": p_s, "peer_cpu_s": p_c,
            "ratio": _ratio(p_s, o_s), "cpu_ratio": _ratio(p_c, o_c)}


def _goal(name: str, figure: str, value: float | None, limit: float, cpu_value: float | None = None,
          at_least: bool = False) -> Record:
    def ok(x: float | None) -> bool | None:
        return None if x is None else (x >= limit if at_least else x <= limit)

    return {"goal": name, "figure": figure, "met": ok(value), "met_on_cpu": ok(cpu_value)}


def comparisons(records: list[Record]) -> list[Record]:
    sma_ours = _find(records, "sma_10_50_crossover_20_stocks", f"{QP} fused kernel", data="sp500 closes")
    grid = _find(records, "sma_grid_174_pairs_x_20_stocks", QP)
    event = _find(records, "event_loop_sma_crossover_synthetic_bars", f"{QP} event engine (compiled)")
    if event:  # per 1M bars, as backtrader's figure is scaled
        scale = 1_000_000 / event["bars"]
        event = {**event, "seconds": event["seconds"] * scale, "cpu_seconds": event["cpu_seconds"] * scale}
    ind = _find(records, "indicators_all_five", QP)
    first = _find(records, "ingest_bundled_stocks", QP)
    rows = [
        _pair("SMA 10/50 crossover, 20 bundled stocks (closes)", sma_ours, _find(
            records, "sma_10_50_crossover_20_stocks", "vectorbt")),
        _pair("SMA 10/50 crossover, 20 bundled stocks (closes)", sma_ours, _find(
            records, "sma_10_50_crossover_20_stocks", "backtrader")),
        _pair("SMA grid 174 pairs × 20 stocks (3,480 backtests)", grid, _find(
            records, "sma_grid_174_pairs_x_20_stocks", "vectorbt")),
        _pair("same grid + deflated Sharpe + PBO (vectorbt: grid only)", _find(
            records, "sma_grid_174_pairs_x_20_stocks_with_overfitting", QP), _find(
            records, "sma_grid_174_pairs_x_20_stocks", "vectorbt")),
        _pair("event loop, SMA crossover, per 1M bars", event, _find(
            records, "event_loop_sma_crossover_synthetic_bars", "backtrader"),
              "seconds_scaled_to_1m_bars", "cpu_seconds_scaled_to_1m_bars"),
        _pair("RSI14+MACD+BB+ATR14+EMA20, sum", ind, _find(records, "indicators_all_five", "ta-lib")),
        _pair("RSI14+MACD+BB+ATR14+EMA20, sum", ind, _find(records, "indicators_all_five", "pandas-ta")),
        _pair("walk-forward 10 folds × 174 pairs × 20 stocks", _find(
            records, "walk_forward_10_folds_174_pairs_x_20_stocks", QP), None),
    ]
    for peer in ("executemany insert", "pandas to sql", "plain copy"):
        rows.append(_pair("ingest of the bundled stocks, first load", first, _find(
            records, "ingest_bundled_stocks", peer)))
    rows.append(_pair("ingest re-run (all rows stored)", _find(records, "ingest_rerun_bundled_stocks", QP), None))
    return rows


def agent_rows(records: list[Record]) -> list[Record]:
    rows = []
    for kind in ("turn", "interrupt", "resume"):
        for variant in ("no_checkpointer", "in_memory", "postgres"):
            workload = f"agent_{kind}_{variant}"
            plain = _find(records, workload, "plain langgraph")
            same = _find(records, workload, "plain langgraph, quantpilot's nodes")
            for ours_label in ("quantpilot run_turn", "quantpilot graph.invoke"):
                ours = _find(records, workload, ours_label)
                if ours and plain:
                    rows.append({"workload": workload, "ours": ours["peer"], "ours_p50_ms": ours["p50_ms"],
                                 "ours_p95_ms": ours["p95_ms"], "ours_cpu_p50_ms": ours["cpu_p50_ms"],
                                 "plain_p50_ms": plain["p50_ms"], "plain_p95_ms": plain["p95_ms"],
                                 "plain_cpu_p50_ms": plain["cpu_p50_ms"],
                                 "ours_over_plain": _ratio(ours["p50_ms"], plain["p50_ms"]),
                                 "cpu_ours_over_plain": _ratio(ours["cpu_p50_ms"], plain["cpu_p50_ms"]),
                                 "same_nodes_p50_ms": same["p50_ms"] if same else None,
                                 "ours_over_same_nodes": _ratio(ours["p50_ms"], same["p50_ms"]) if same else None})
    return rows


def goals(records: list[Record], agent: list[Record]) -> list[Record]:
    out = []
    sma = _find(records, "sma_10_50_crossover_20_stocks", f"{QP} fused kernel", data="synthetic")
    if sma:
        out.append(_goal("SMA 10/50, 20 stocks × 8,313 bars, costs + next-open fills <= 2 ms",
                         f"{sma['seconds'] * 1e3:.2f} ms (CPU {sma['cpu_seconds'] * 1e3:.2f})", sma["seconds"],
                         0.002, sma["cpu_seconds"]))
    grid = _find(records, "sma_grid_174_pairs_x_20_stocks", QP)
    if grid:
        rate, cpu_rate = grid["backtests"] / grid["seconds"], grid["backtests"] / max(grid["cpu_seconds"], 1e-9)
        out.append(_goal("grid >= 30,000 backtests/s", f"{rate:,.0f}/s (CPU {cpu_rate:,.0f}/s)", rate, 30_000,
                         cpu_rate, at_least=True))
        out.append(_goal("grid process peak RSS < 300 MB", f"{grid['peak_mb']:.0f} MB (traced numpy/python "
                         f"{grid.get('traced_peak_mb')} MB)", grid["peak_mb"], 300))
    event = _find(records, "event_loop_sma_crossover_synthetic_bars", f"{QP} event engine (compiled)")
    if event:
        rate, cpu_rate = event["bars"] / event["seconds"], event["bars"] / max(event["cpu_seconds"], 1e-9)
        out.append(_goal("event engine >= 5M bars/s", f"{rate / 1e6:.1f}M bars/s (CPU {cpu_rate / 1e6:.1f}M)",
                         rate, 5e6, cpu_rate, at_least=True))
    ind, talib = _find(records, "indicators_all_five", QP), _find(records, "indicators_all_five", "ta-lib")
    eq = _find(records, "indicator_equality", QP)
    if ind and talib:
        r, rc = ind["seconds"] / talib["seconds"], ind["cpu_seconds"] / max(talib["cpu_seconds"], 1e-9)
        out.append(_goal("indicators <= 1.5 × TA-Lib", f"{r:.2f}× (CPU {rc:.2f}×)", r, 1.5, rc))
    if eq:
        out.append({"goal": f"indicator values equal to {eq['against']}", "met": eq["equal"], "met_on_cpu": None,
                    "figure": f"max relative difference {eq['max_rel_diff']:.1e} after {eq['burn_in_bars']} bars"})
    wf = _find(records, "walk_forward_10_folds_174_pairs_x_20_stocks", QP)
    if wf:
        out.append(_goal("walk-forward < 2 s", f"{wf['seconds']:.3f} s (CPU {wf['cpu_seconds']:.3f})",
                         wf["seconds"], 2.0, wf["cpu_seconds"]))
    first, rerun = _find(records, "ingest_bundled_stocks", QP), _find(records, "ingest_rerun_bundled_stocks", QP)
    if first and rerun:
        out.append(_goal(f"ingest of {first['rows']:,} bars, first load <= 1.2 s",
                         f"{first['seconds']:.3f} s (client CPU {first['cpu_seconds']:.3f})", first["seconds"], 1.2))
        out.append(_goal("ingest re-run no slower than the first load", f"{rerun['seconds']:.3f} s vs "
                         f"{first['seconds']:.3f} s", rerun["seconds"] / first["seconds"], 1.0))
    for row in agent:
        if row["ours"] == "quantpilot run_turn" or (row["workload"].endswith("no_checkpointer")) or (
                row["ours"].endswith("resume_turn")):
            out.append(_goal(f"{row['workload']}: quantpilot adds <= 50 %", f"{row['ours_over_plain']}× p50 "
                             f"(CPU {row['cpu_ours_over_plain']}×)", row["ours_over_plain"], 1.5,
                             row["cpu_ours_over_plain"]))
    for r in records:
        if str(r.get("workload", "")).startswith("agent_long_thread") and r["peer"] == "quantpilot run_turn":
            cpu = r["last_turns_cpu_ms"] / r["first_turns_cpu_ms"]
            out.append(_goal(f"{r['workload']}: turn {r['turns']} <= 1.5 × turn 1",
                             f"{r['last_over_first']}× (CPU {cpu:.2f}×; median of {r['window']} turns each end)",
                             r["last_over_first"], 1.5, cpu))
    return out


E2E = ("e2e_cli", "e2e_backtest_grid", "e2e_walkforward")


def end_to_end_rows(records: list[Record]) -> list[Record]:
    """One row per command timed from process start (p50 wall and CPU, peak RSS, the load around it)."""
    keys = ("command", "peer", "seconds", "cpu_seconds", "peak_mb", "runs", "load_avg_1m", "load_avg_1m_after",
            "goal_s", "goal_mb", "elapsed_s", "overfitting_s", "kernel_load_s", "grid_s", "exit_codes", "expect_exit")
    return [{k: r.get(k) for k in keys} for r in records if r.get("workload") in E2E]


def _gap(value: float, limit: float, unit: str) -> str:
    return "" if value <= limit else f"; gap {value - limit:+.2f} {unit}"


def end_to_end_goals(records: list[Record]) -> list[Record]:
    """Issue 20's budgets: each command's p50 wall, and the grid against vectorbt in the same run."""
    out = []
    for r in (r for r in records if r.get("workload") == "e2e_cli" and r.get("goal_s") is not None):
        ok_exit = r.get("exit_codes") in (None, [r.get("expect_exit", 0)])
        goal = _goal(f"{r['command']} <= {r['goal_s']:g} s (p50 of {r['runs']}, load {r['load_avg_1m']})",
                     f"{r['seconds']:.2f} s (CPU {r['cpu_seconds']:.2f}){_gap(r['seconds'], r['goal_s'], 's')}"
                     + ("" if ok_exit else f"; exit codes {r['exit_codes']}"), r["seconds"], r["goal_s"],
                     r["cpu_seconds"])
        out.append(goal if ok_exit else {**goal, "met": False})
    ours = _find(records, "e2e_backtest_grid", "quantpilot")
    script = _find(records, "e2e_backtest_grid", "vectorbt")
    warm = _find(records, "sma_grid_174_pairs_x_20_stocks", "vectorbt")
    if ours and script:
        ratio = script["seconds"] / ours["seconds"]
        out.append(_goal(f"backtest grid wall >= {PEER_RATIO:g}x the vectorbt script's (process start to answer)",
                         f"{ratio:.1f}x: {ours['seconds']:.2f} s vs {script['seconds']:.2f} s (needs <= "
                         f"{script['seconds'] / PEER_RATIO:.2f} s)", ratio, PEER_RATIO,
                         script["cpu_seconds"] / max(ours["cpu_seconds"], 1e-9), at_least=True))
    if ours and warm and ours.get("elapsed_s"):
        ratio = warm["seconds"] / ours["elapsed_s"]
        loaded = ours["elapsed_s"] + (ours.get("kernel_load_s") or 0.0)
        out.append(_goal(f"backtest grid elapsed_s >= {PEER_RATIO:g}x vectorbt's grid in-process",
                         f"{ratio:.1f}x: {ours['elapsed_s']:.3f} s (overfitting {ours.get('overfitting_s')} s) vs "
                         f"{warm['seconds']:.2f} s (needs <= {warm['seconds'] / PEER_RATIO:.3f} s); with the kernel "
                         f"load before it {loaded:.3f} s = {warm['seconds'] / loaded:.1f}x", ratio, PEER_RATIO,
                         at_least=True))
    for r in (ours, _find(records, "e2e_walkforward", "quantpilot")):
        if r:
            out.append(_goal(f"{r['peer']} peak RSS < {r['goal_mb']:g} MB", f"{r['peak_mb']:.0f} MB (max of "
                             f"{r['runs']}: {r['max_peak_mb']:.0f} MB)", r["peak_mb"], r["goal_mb"]))
    return out


def build_summary(records: list[Record], meta: dict[str, Any]) -> dict[str, Any]:
    agent = agent_rows(records)
    long_threads = [r for r in records if str(r.get("workload", "")).startswith("agent_long_thread")]
    return {"meta": meta, "comparisons": comparisons(records), "agent": agent, "long_threads": long_threads,
            "end_to_end": end_to_end_rows(records), "goals": goals(records, agent) + end_to_end_goals(records)}


def _t(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _mark(value: bool | None) -> str:
    return "—" if value is None else ("met" if value else "NOT met")


def render(summary: dict[str, Any]) -> str:
    m = summary["meta"]
    lines = [f"quantpilot benchmarks, {m['started']} → {m['finished']}, {m['cpus']} CPUs, Python {m['python']}; "
             f"load average before {m['load_avg_before']}, after {m['load_avg_after']}"
             + (" (QUICK: smoke run, figures mean nothing)" if m.get("quick") else ""),
             "", "| workload | ours | wall (CPU) | peer | wall (CPU) | peer/ours wall | peer/ours CPU |",
             "|---|---|---:|---|---:|---:|---:|"]
    for r in summary["comparisons"]:
        lines.append(f"| {r['workload']} | {r['ours'] or '—'} | {_t(r['ours_s'])} ({_t(r['ours_cpu_s'])}) | "
                     f"{r['peer'] or '—'} | {_t(r['peer_s'])} ({_t(r['peer_cpu_s'])}) | {r['ratio'] or '—'} | "
                     f"{r['cpu_ratio'] or '—'} |")
    lines += ["", "| agent workload | ours | ours p50/p95 ms (CPU p50) | plain LangGraph p50/p95 ms (CPU p50) | "
              "ours/plain p50 | ours/plain CPU | plain with quantpilot's nodes p50 ms | ours/that p50 |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in summary["agent"]:
        lines.append(f"| {r['workload']} | {r['ours']} | {r['ours_p50_ms']}/{r['ours_p95_ms']} "
                     f"({r['ours_cpu_p50_ms']}) | {r['plain_p50_ms']}/{r['plain_p95_ms']} ({r['plain_cpu_p50_ms']}) | "
                     f"{r['ours_over_plain']} | {r['cpu_ours_over_plain']} | {r.get('same_nodes_p50_ms') or '—'} | "
                     f"{r.get('ours_over_same_nodes') or '—'} |")
    lines += ["", "| long thread | graph | first turns ms (CPU) | last turns ms (CPU) | last/first |",
              "|---|---|---:|---:|---:|"]
    for r in summary["long_threads"]:
        lines.append(f"| {r['workload']} ({r['turns']} turns) | {r['peer']} | {r['first_turns_ms']} "
                     f"({r['first_turns_cpu_ms']}) | {r['last_turns_ms']} ({r['last_turns_cpu_ms']}) | "
                     f"{r['last_over_first']} |")
    lines += ["", "End to end, process start to answer (what a person waits for; p50 of the runs, load average "
              "before → after):", "", "| command | wall (CPU) | peak RSS | load | inside the command |",
              "|---|---:|---:|---|---|"]
    for r in summary.get("end_to_end", []):
        inside = ", ".join(f"{k} {_t(r[k])}" for k in ("elapsed_s", "overfitting_s", "kernel_load_s", "grid_s")
                           if r.get(k) is not None)
        lines.append(f"| {r['peer']}: {r['command']} | {_t(r['seconds'])} ({_t(r['cpu_seconds'])}) | "
                     f"{r['peak_mb']:.0f} MB | {r['load_avg_1m']} → {r['load_avg_1m_after']} | {inside or '—'} |")
    lines += ["", "| goal | figure | wall | CPU only |", "|---|---|---|---|"]
    lines += [f"| {g['goal']} | {g['figure']} | {_mark(g['met'])} | {_mark(g['met_on_cpu'])} |"
              for g in summary["goals"]]
    if m.get("failed"):
        lines += ["", f"FAILED steps: {', '.join(m['failed'])} (see bench-results/run_all.log)"]
    return "\n".join(lines)
