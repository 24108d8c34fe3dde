"""The run_all table: our figure, the peer's figure and their ratio per workload, and the goals.

``build_summary(records, meta)`` turns the JSON lines of one run into ``{meta, comparisons, agent,
long_threads, agent_flow, end_to_end, goals}`` (the layer a person feels:
``benchmarks/summary_end_to_end.py``); ``render(summary)`` prints it as Markdown. Two layers: the kernels
timed in memory (what the library costs) and ``end_to_end``, commands timed from process start to answer
(``benchmarks/end_to_end.py``: what a person waits for). Ratios: for speed, peer / ours (above 1: ours is
faster), on wall time and on CPU time (the machine is shared: wall time grows with its load, CPU time much
less); for the agent graph, ours / plain LangGraph (its overhead). A goal is judged on wall time;
``met_on_cpu`` says whether CPU time alone would meet it.
"""

from __future__ import annotations

from typing import Any

from benchmarks.goal_figures import QP, Record, find_record, judged, ratio_of, seconds_text, verdict
from benchmarks.summary_end_to_end import agent_flow_goals, end_to_end_goals, end_to_end_rows, render_end_to_end

AGENT_P95_MS = 40.0  # interrupt and resume on Postgres, each


def _pair(label: str, ours: Record | None, peer: Record | None, peer_key: str = "seconds",
          peer_cpu_key: str = "cpu_seconds") -> Record:
    o_s, o_c = (ours or {}).get("seconds"), (ours or {}).get("cpu_seconds")
    p_s, p_c = (peer or {}).get(peer_key), (peer or {}).get(peer_cpu_key)
    return {"workload": label, "ours": (ours or {}).get("peer"), "ours_s": o_s, "ours_cpu_s": o_c,
            "peer": (peer or {}).get("peer"), "peer_s": p_s, "peer_cpu_s": p_c,
            "ratio": ratio_of(p_s, o_s), "cpu_ratio": ratio_of(p_c, o_c)}


def comparisons(records: list[Record]) -> list[Record]:
    sma_ours = find_record(records, "sma_10_50_crossover_20_stocks", f"{QP} fused kernel", data="sp500 closes")
    grid = find_record(records, "sma_grid_174_pairs_x_20_stocks", QP)
    event = find_record(records, "event_loop_sma_crossover_synthetic_bars", f"{QP} event engine (compiled)")
    if event:  # per 1M bars, as backtrader's figure is scaled
        scale = 1_000_000 / event["bars"]
        event = {**event, "seconds": event["seconds"] * scale, "cpu_seconds": event["cpu_seconds"] * scale}
    ind = find_record(records, "indicators_all_five", QP)
    first = find_record(records, "ingest_bundled_stocks", QP)
    rows = [
        _pair("SMA 10/50 crossover, 20 bundled stocks (closes)", sma_ours, find_record(
            records, "sma_10_50_crossover_20_stocks", "vectorbt")),
        _pair("SMA 10/50 crossover, 20 bundled stocks (closes)", sma_ours, find_record(
            records, "sma_10_50_crossover_20_stocks", "backtrader")),
        _pair("SMA grid 174 pairs × 20 stocks (3,480 backtests)", grid, find_record(
            records, "sma_grid_174_pairs_x_20_stocks", "vectorbt")),
        _pair("same grid + deflated Sharpe + PBO (vectorbt: grid only)", find_record(
            records, "sma_grid_174_pairs_x_20_stocks_with_overfitting", QP), find_record(
            records, "sma_grid_174_pairs_x_20_stocks", "vectorbt")),
        _pair("event loop, SMA crossover, per 1M bars", event, find_record(
            records, "event_loop_sma_crossover_synthetic_bars", "backtrader"),
              "seconds_scaled_to_1m_bars", "cpu_seconds_scaled_to_1m_bars"),
        _pair("RSI14+MACD+BB+ATR14+EMA20, sum", ind, find_record(records, "indicators_all_five", "ta-lib")),
        _pair("RSI14+MACD+BB+ATR14+EMA20, sum", ind, find_record(records, "indicators_all_five", "pandas-ta")),
        _pair("walk-forward 10 folds × 174 pairs × 20 stocks", find_record(
            records, "walk_forward_10_folds_174_pairs_x_20_stocks", QP), None),
    ]
    for peer in ("executemany insert", "pandas to sql", "plain copy"):
        rows.append(_pair("ingest of the bundled stocks, first load", first, find_record(
            records, "ingest_bundled_stocks", peer)))
    rows.append(_pair("ingest re-run (all rows stored)", find_record(records, "ingest_rerun_bundled_stocks", QP), None))
    return rows


def agent_rows(records: list[Record]) -> list[Record]:
    rows = []
    for kind in ("turn", "interrupt", "resume"):
        for variant in ("no_checkpointer", "in_memory", "postgres"):
            workload = f"agent_{kind}_{variant}"
            plain = find_record(records, workload, "plain langgraph")
            same = find_record(records, workload, "plain langgraph, quantpilot's nodes")
            for ours_label in ("quantpilot run_turn", "quantpilot graph.invoke"):
                ours = find_record(records, workload, ours_label)
                if ours and plain:
                    rows.append({"workload": workload, "ours": ours["peer"], "ours_p50_ms": ours["p50_ms"],
                                 "ours_p95_ms": ours["p95_ms"], "ours_cpu_p50_ms": ours["cpu_p50_ms"],
                                 "plain_p50_ms": plain["p50_ms"], "plain_p95_ms": plain["p95_ms"],
                                 "plain_cpu_p50_ms": plain["cpu_p50_ms"],
                                 "ours_over_plain": ratio_of(ours["p50_ms"], plain["p50_ms"]),
                                 "cpu_ours_over_plain": ratio_of(ours["cpu_p50_ms"], plain["cpu_p50_ms"]),
                                 "same_nodes_p50_ms": same["p50_ms"] if same else None,
                                 "ours_over_same_nodes": ratio_of(ours["p50_ms"], same["p50_ms"]) if same else None})
    return rows


def goals(records: list[Record], agent: list[Record]) -> list[Record]:
    out = []
    sma = find_record(records, "sma_10_50_crossover_20_stocks", f"{QP} fused kernel", data="synthetic")
    if sma:
        out.append(judged("SMA 10/50, 20 stocks × 8,313 bars, costs + next-open fills <= 2 ms",
                         f"{sma['seconds'] * 1e3:.2f} ms (CPU {sma['cpu_seconds'] * 1e3:.2f})", sma["seconds"],
                         0.002, sma["cpu_seconds"]))
    grid = find_record(records, "sma_grid_174_pairs_x_20_stocks", QP)
    if grid:
        rate, cpu_rate = grid["backtests"] / grid["seconds"], grid["backtests"] / max(grid["cpu_seconds"], 1e-9)
        out.append(judged("grid >= 30,000 backtests/s", f"{rate:,.0f}/s (CPU {cpu_rate:,.0f}/s)", rate, 30_000,
                         cpu_rate, at_least=True))
        out.append(judged("grid process peak RSS < 300 MB", f"{grid['peak_mb']:.0f} MB (traced numpy/python "
                         f"{grid.get('traced_peak_mb')} MB)", grid["peak_mb"], 300))
    event = find_record(records, "event_loop_sma_crossover_synthetic_bars", f"{QP} event engine (compiled)")
    if event:
        rate, cpu_rate = event["bars"] / event["seconds"], event["bars"] / max(event["cpu_seconds"], 1e-9)
        out.append(judged("event engine >= 5M bars/s", f"{rate / 1e6:.1f}M bars/s (CPU {cpu_rate / 1e6:.1f}M)",
                         rate, 5e6, cpu_rate, at_least=True))
    ind, talib = find_record(records, "indicators_all_five", QP), find_record(records, "indicators_all_five", "ta-lib")
    eq = find_record(records, "indicator_equality", QP)
    if ind and talib:
        r, rc = ind["seconds"] / talib["seconds"], ind["cpu_seconds"] / max(talib["cpu_seconds"], 1e-9)
        out.append(judged("indicators <= 1.5 × TA-Lib", f"{r:.2f}× (CPU {rc:.2f}×)", r, 1.5, rc))
    if eq:
        out.append({"goal": f"indicator values equal to {eq['against']}", "met": eq["equal"], "met_on_cpu": None,
                    "figure": f"max relative difference {eq['max_rel_diff']:.1e} after {eq['burn_in_bars']} bars"})
    wf = find_record(records, "walk_forward_10_folds_174_pairs_x_20_stocks", QP)
    if wf:
        out.append(judged("walk-forward < 2 s", f"{wf['seconds']:.3f} s (CPU {wf['cpu_seconds']:.3f})",
                         wf["seconds"], 2.0, wf["cpu_seconds"]))
    first = find_record(records, "ingest_bundled_stocks", QP)
    rerun = find_record(records, "ingest_rerun_bundled_stocks", QP)
    if first and rerun:
        out.append(judged(f"ingest of {first['rows']:,} bars, first load <= 1.2 s",
                         f"{first['seconds']:.3f} s (client CPU {first['cpu_seconds']:.3f})", first["seconds"], 1.2))
        out.append(judged("ingest re-run no slower than the first load", f"{rerun['seconds']:.3f} s vs "
                         f"{first['seconds']:.3f} s", rerun["seconds"] / first["seconds"], 1.0))
    for row in agent:
        if row["workload"].startswith("agent_turn") and (row["ours"] == "quantpilot run_turn" or
                                                          row["workload"].endswith("no_checkpointer")):
            out.append(judged(f"{row['workload']}: quantpilot adds <= 50 %", f"{row['ours_over_plain']}× p50 "
                             f"(CPU {row['cpu_ours_over_plain']}×)", row["ours_over_plain"], 1.5,
                             row["cpu_ours_over_plain"]))
        elif row["workload"] in ("agent_interrupt_postgres", "agent_resume_postgres") and row["ours"].endswith(
                "resume_turn"):  # issue 20: an absolute budget replaces the ratio to plain LangGraph
            out.append(judged(f"{row['workload']}: p95 <= {AGENT_P95_MS:g} ms", f"{row['ours_p95_ms']} ms p95 (p50 "
                             f"{row['ours_p50_ms']}, CPU p50 {row['ours_cpu_p50_ms']})", row["ours_p95_ms"],
                             AGENT_P95_MS))
    for r in records:
        if str(r.get("workload", "")).startswith("agent_long_thread") and r["peer"] == "quantpilot run_turn":
            cpu = r["last_turns_cpu_ms"] / r["first_turns_cpu_ms"]
            out.append(judged(f"{r['workload']}: turn {r['turns']} <= 1.5 × turn 1",
                             f"{r['last_over_first']}× (CPU {cpu:.2f}×; median of {r['window']} turns each end)",
                             r["last_over_first"], 1.5, cpu))
    return out


def build_summary(records: list[Record], meta: dict[str, Any]) -> dict[str, Any]:
    agent = agent_rows(records)
    long_threads = [r for r in records if str(r.get("workload", "")).startswith("agent_long_thread")]
    return {"meta": meta, "comparisons": comparisons(records), "agent": agent, "long_threads": long_threads,
            "agent_flow": [r for r in records if r.get("workload") == "agent_flow_offline_planner"],
            "end_to_end": end_to_end_rows(records),
            "goals": goals(records, agent) + agent_flow_goals(records) + end_to_end_goals(records)}


def render(summary: dict[str, Any]) -> str:
    m = summary["meta"]
    lines = [f"quantpilot benchmarks, {m['started']} → {m['finished']}, {m['cpus']} CPUs, Python {m['python']}; "
             f"load average before {m['load_avg_before']}, after {m['load_avg_after']}"
             + (" (QUICK: smoke run, figures mean nothing)" if m.get("quick") else ""),
             "", "| workload | ours | wall (CPU) | peer | wall (CPU) | peer/ours wall | peer/ours CPU |",
             "|---|---|---:|---|---:|---:|---:|"]
    t = seconds_text
    for r in summary["comparisons"]:
        lines.append(f"| {r['workload']} | {r['ours'] or '—'} | {t(r['ours_s'])} ({t(r['ours_cpu_s'])}) | "
                     f"{r['peer'] or '—'} | {t(r['peer_s'])} ({t(r['peer_cpu_s'])}) | {r['ratio'] or '—'} | "
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
    lines += render_end_to_end(summary)
    lines += ["", "| goal | figure | wall | CPU only |", "|---|---|---|---|"]
    lines += [f"| {g['goal']} | {g['figure']} | {verdict(g['met'])} | {verdict(g['met_on_cpu'])} |"
              for g in summary["goals"]]
    if m.get("failed"):
        lines += ["", f"FAILED steps: {', '.join(m['failed'])} (see bench-results/run_all.log)"]
    return "\n".join(lines)
