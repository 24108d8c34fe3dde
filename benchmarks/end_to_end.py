"""What a person waits for: process start to answer of the commands they run, with peak RSS.

Each command runs as its own process (``quantpilot …``, the installed entry point), one untimed
run first (warm disk, warm numba cache: a user's second run), then ``--runs`` timed runs, one
after another: p50 wall, CPU (user + system) and peak RSS, with the 1-minute load average before
and after (``benchmarks/process_runs.py``). The commands run on their own QUANTPILOT_HOME with the
embedded server left running between commands, as the CLI leaves it for a user; ``quantpilot demo``
fills it first (the 20 bundled stocks, approvals, a paper account with orders) and the server is
stopped at the end. Goals (issue 20): ``--help`` <= 0.3 s, reads <= 1 s, an argument error <= 0.5 s,
``chat --once`` (offline planner) <= 3 s; ``backtest grid`` (20 stocks × 174 SMA pairs, overfitting
statistics on, the default) >= 10x vectorbt on the same grid in the same run, on wall time from
process start (vectorbt's script, ``benchmarks/peers/vectorbt_grid_script.py``, timed the same way)
and on the command's own ``elapsed_s`` (against vectorbt's in-process grid time from
``benchmarks/peers/vectorbt_sma.py`` in the same ``run_all``), peak RSS < 400 MB; ``walkforward``
peak RSS < 400 MB (the issue sets it no time goal). One JSON line per command (``emit``).
Run: `.venv/bin/python benchmarks/end_to_end.py [--runs 5] [--peer-runs 3] [--home DIR] [--quick]`
(``--quick``: two stocks from 2019, a 6-pair grid, 1 run without warm-up, no vectorbt: a smoke run).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.peers.workloads import emit  # noqa: E402
from benchmarks.process_runs import ProcessRuns, repeat_process, run_process  # noqa: E402

QUANTPILOT = Path(sys.executable).with_name("quantpilot")
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
STOCKS = "AAPL,AMD,BAC,BBY,CVX,GE,HD,JNJ,JPM,KO,LLY,MRK,MSFT,PEP,PFE,PG,RRC,UNH,WMT,XOM"  # the bundled stocks
GRID = ("--grid", "fast=5:50:5", "--grid", "slow=20:200:10")  # 174 valid pairs
QUICK_GRID = ("--grid", "fast=5:10:5", "--grid", "slow=20:40:10")
CHAT = "backtest an SMA crossover on AAPL and MSFT"
READ_S, ERROR_S, HELP_S, CHAT_S, RSS_MB, PEER_RATIO = 1.0, 0.5, 0.3, 3.0, 400.0, 10.0


@dataclass(frozen=True)
class Command:
    """A row: ``name`` as the issue writes it, the argv after ``quantpilot``, its goal in seconds
    (None: no time goal), the exit code it should end with."""

    name: str
    argv: tuple[str, ...]
    goal_s: float | None
    expect_exit: int = 0


def cli_commands(approval_id: str | None) -> list[Command]:
    rows = [Command("--help", ("--help",), HELP_S), Command("data list", ("data", "list"), READ_S),
            Command("approvals list", ("approvals", "list"), READ_S)]
    if approval_id:
        rows.append(Command("approvals show ID", ("approvals", "show", approval_id), READ_S))
    return rows + [
        Command("orders list", ("orders", "list"), READ_S), Command("risk status", ("risk", "status"), READ_S),
        Command("positions", ("positions",), READ_S),
        Command("optimize --method no_such_method (argument error)",
                ("optimize", "--method", "no_such_method", "--symbols", "AAPL"), ERROR_S, expect_exit=2),
        Command(f'chat --once "{CHAT}" (offline planner)', ("chat", "--once", CHAT), CHAT_S)]


def child_env(home: Path) -> dict[str, str]:
    """This process's environment for the commands: their home, the server kept up between them, and
    numba's cache under the home (as the CLI sets it for a user)."""
    env = {k: v for k, v in os.environ.items() if k not in (
        "NUMBA_CACHE_DIR", "DATABASE_URL", "QUANTPILOT_DATABASE_URL", "QUANTPILOT_EMBEDDED_URL")}
    return env | {"QUANTPILOT_HOME": str(home), "QUANTPILOT_DB_KEEP_RUNNING": "true", "PYTHONPATH": str(ROOT)}


def prepare(env: dict[str, str], quick: bool) -> str | None:
    """Fill the home (the demo, or two stocks when quick); the id of an approval to show, if any."""
    import json

    argv = [str(QUANTPILOT), "data", "load", "--source", "bundled", "--symbols", "AAPL,MSFT", "--start",
            "2019-01-01"] if quick else [str(QUANTPILOT), "demo"]
    setup = run_process(argv, env, ROOT, timeout_s=1800)
    if setup.exit_code != 0:
        raise SystemExit(f"setup failed ({' '.join(argv[1:])}): {setup.stderr[-2000:]}")
    emit("e2e_setup", f"quantpilot {' '.join(argv[1:])}", (setup.wall_s, setup.cpu_s), peak_mb=round(setup.peak_mb, 1))
    listed = run_process([str(QUANTPILOT), "approvals", "list", "--json"], env, ROOT)
    approvals = json.loads(listed.stdout) if listed.exit_code == 0 and listed.stdout.strip() else []
    return approvals[0]["id"] if approvals else None


def _seconds(pattern: str, runs: ProcessRuns) -> float | None:
    """The p50 of a figure the command prints (``pattern`` captures seconds), None if never printed."""
    values = sorted(float(m.group(1)) for r in runs.runs if (m := re.search(pattern, r.stdout)))
    return values[len(values) // 2] if values else None


def measure(command: Command, env: dict[str, str], runs: int, warmup: int) -> None:
    record = repeat_process([str(QUANTPILOT), *command.argv], env, runs, cwd=ROOT, warmup=warmup).to_record()
    emit("e2e_cli", "quantpilot", (record.pop("seconds"), record.pop("cpu_seconds")), command=command.name,
         **record, goal_s=command.goal_s, expect_exit=command.expect_exit)


def research(env: dict[str, str], runs: int, warmup: int, quick: bool) -> None:
    symbols, grid = ("AAPL,MSFT", QUICK_GRID) if quick else (STOCKS, GRID)
    args = ("--strategy", "sma_crossover", "--symbols", symbols, *grid)
    grid_runs = repeat_process([str(QUANTPILOT), "backtest", "grid", *args], env, runs, cwd=ROOT, warmup=warmup)
    record = grid_runs.to_record()
    emit("e2e_backtest_grid", "quantpilot backtest grid", (record.pop("seconds"), record.pop("cpu_seconds")),
         command=f"backtest grid --symbols <{symbols.count(',') + 1} stocks> {' '.join(grid)}", **record,
         elapsed_s=_seconds(r"backtests in ([\d.]+) s", grid_runs),
         overfitting_s=_seconds(r"overfitting statistics ([\d.]+) s of it", grid_runs),
         kernel_load_s=_seconds(r"kernels loaded in ([\d.]+) s before", grid_runs), goal_mb=RSS_MB)
    wf_runs = repeat_process([str(QUANTPILOT), "walkforward", *args], env, runs, cwd=ROOT, warmup=warmup)
    record = wf_runs.to_record()
    emit("e2e_walkforward", "quantpilot walkforward", (record.pop("seconds"), record.pop("cpu_seconds")),
         command=f"walkforward --symbols <{symbols.count(',') + 1} stocks> {' '.join(grid)} (252/63-bar folds)",
         **record, elapsed_s=_seconds(r"of ([\d.]+) s \(a full-sample grid", wf_runs),
         overfitting_s=_seconds(r"overfitting statistics took ([\d.]+) s", wf_runs), goal_mb=RSS_MB)


def vectorbt(env: dict[str, str], runs: int, warmup: int) -> None:
    import json

    argv = [str(PEERS_PYTHON), "-W", "ignore", "-m", "benchmarks.peers.vectorbt_grid_script"]
    done = repeat_process(argv, env, runs, cwd=ROOT, warmup=warmup, timeout_s=1800)
    inside = [json.loads(r.stdout.strip().splitlines()[-1]) for r in done.runs if r.exit_code == 0]
    record = done.to_record()
    grid_s = sorted(i["grid_s"] for i in inside)
    emit("e2e_backtest_grid", inside[0]["peer"] + " script" if inside else "vectorbt script",
         (record.pop("seconds"), record.pop("cpu_seconds")), command="import vectorbt, load, grid, print",
         **record, grid_s=grid_s[len(grid_s) // 2] if grid_s else None)


def main() -> None:
    from benchmarks.isolation import use_private_home

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (p50 over them)")
    parser.add_argument("--peer-runs", type=int, default=3, help="timed runs of the vectorbt script")
    parser.add_argument("--home", type=Path, help="reuse this QUANTPILOT_HOME (default: a fresh one, filled by "
                                                  "the demo)")
    parser.add_argument("--skip-peers", action="store_true", help="no vectorbt script")
    parser.add_argument("--quick", action="store_true", help="smoke run: small inputs, 1 run, no vectorbt")
    args = parser.parse_args()
    runs, warmup = (1, 0) if args.quick else (max(args.runs, 1), 1)
    home = use_private_home("quantpilot-e2e-", args.home)
    env = child_env(home)
    try:
        approval_id = prepare(env, args.quick)
        for command in cli_commands(approval_id):
            measure(command, env, runs, warmup)
        research(env, runs, warmup, args.quick)
        if not (args.quick or args.skip_peers) and PEERS_PYTHON.exists():
            vectorbt(env, max(args.peer_runs, 1), warmup)
    finally:
        run_process([str(QUANTPILOT), "db", "stop"], env, ROOT)


if __name__ == "__main__":
    main()
