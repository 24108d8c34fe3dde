"""Every benchmark workload, ours and the peers', in one run: a table of both figures and the ratio.

Two layers: the kernels timed in memory, and (``benchmarks/end_to_end.py``) the commands a person
runs timed from process start to answer, with peak RSS. Ours run in quantpilot's venv (``.venv``),
the peers (vectorbt, backtrader, TA-Lib, pandas-ta) in ``.venv-peers`` (their pins clash with ours),
each script in its own process, one after another (never in parallel: the figures are wall-clock
medians, and each process's peak RSS is its own workload's). Every script prints JSON lines
(``benchmarks/peers/workloads.emit``); they are collected in ``bench-results/records.jsonl``, and
the table (``benchmarks/summary.py``) is printed and written to ``bench-results/summary.json`` with
the load average before and after.
Run: `.venv/bin/python benchmarks/run_all.py [--quick] [--skip-peers] [--skip-db]` (``--quick``: small
inputs, 1 repeat, a smoke run whose figures mean nothing; ``--skip-db``: no ingest, agent turns in
memory only, no end-to-end commands).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.summary import build_summary, render  # noqa: E402

OURS_PYTHON = ROOT / ".venv" / "bin" / "python"
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
RESULTS = ROOT / "bench-results"
BACKTEST_WORKLOADS = ("grid", "sma", "sma_bundled_closes", "event", "walk_forward")


def steps(quick: bool, skip_peers: bool, skip_db: bool) -> list[tuple[str, list[str]]]:
    """(label, argv) per process, in run order; the TA-Lib reference is written before our indicators run."""
    q = ["--quick"] if quick else []
    ours, peers = str(OURS_PYTHON if OURS_PYTHON.exists() else sys.executable), str(PEERS_PYTHON)
    plan: list[tuple[str, list[str]]] = []
    if not skip_peers:
        plan.append(("peers: TA-Lib + pandas-ta", [peers, "-W", "ignore", "-m", "benchmarks.peers.indicators", *q]))
    plan.append(("ours: indicators", [ours, "benchmarks/indicators.py", *q]))
    plan += [(f"ours: {w}", [ours, "-W", "ignore::FutureWarning", "benchmarks/backtest_speed.py", "--workload", w, *q])
             for w in BACKTEST_WORKLOADS]
    if not skip_peers:
        plan.append(("peers: vectorbt", [peers, "-W", "ignore", "-m", "benchmarks.peers.vectorbt_sma", *q]))
        plan.append(("peers: backtrader", [peers, "-W", "ignore", "-m", "benchmarks.peers.backtrader_sma", *q]))
    if not skip_db:
        plan.append(("ours + peers: ingest", [ours, "benchmarks/ingest.py", *q]))
    plan.append(("ours + plain LangGraph: agent turn",
                 [ours, "benchmarks/agent_turn.py", *q, *(["--no-postgres"] if skip_db else [])]))
    if not skip_db:
        plan.append(("ours: agent path, data → backtest → approval", [ours, "benchmarks/agent_flow.py", *q]))
    if not skip_db:  # last: the commands a person runs, from process start to answer (and vectorbt's script)
        plan.append(("ours + vectorbt: end to end", [ours, "benchmarks/end_to_end.py", *q,
                                                     *(["--skip-peers"] if skip_peers else [])]))
    return plan


def run_step(label: str, argv: list[str], log) -> tuple[list[dict], float, int]:
    """Run one process; its JSON lines, its wall seconds and its exit code (stderr goes to the log)."""
    print(f"[{time.strftime('%H:%M:%S')}] {label} (load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    log.write(f"### {label}: {' '.join(argv)} (exit {done.returncode})\n{done.stdout}{done.stderr}\n")
    records = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            record["step"] = label
            records.append(record)
    if done.returncode != 0:
        print(f"  FAILED (exit {done.returncode}); see bench-results/run_all.log", file=sys.stderr)
    return records, time.perf_counter() - started, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, 1 repeat (smoke run)")
    parser.add_argument("--skip-peers", action="store_true", help="ours only (no .venv-peers needed)")
    parser.add_argument("--skip-db", action="store_true", help="no embedded Postgres (no ingest, no PostgresSaver)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    skip_peers = args.skip_peers or not PEERS_PYTHON.exists()
    if skip_peers and not args.skip_peers:
        print("no .venv-peers: peers skipped (make -f Makefile.bench bench-peers-venv)", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "command": " ".join(sys.argv),
            "quick": args.quick, "load_avg_before": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine()}
    records, failures, durations = [], [], {}
    with open(args.out / "run_all.log", "w") as log:
        for label, argv in steps(args.quick, skip_peers, args.skip_db):
            got, seconds, code = run_step(label, argv, log)
            records += got
            durations[label] = round(seconds, 1)
            if code != 0:
                failures.append(label)
    meta.update(load_avg_after=[round(x, 2) for x in os.getloadavg()], step_seconds=durations, failed=failures,
                finished=datetime.now(UTC).isoformat(timespec="seconds"))
    with open(args.out / "records.jsonl", "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    summary = build_summary(records, meta)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(render(summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
