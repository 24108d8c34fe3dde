"""What a person waits for: process start to answer of the commands they run, with peak RSS.

Each command runs as its own process (``quantpilot …``, the installed entry point), one untimed run first
(warm disk, warm numba cache: a user's second run), then ``--runs`` timed runs, one after another: p50 wall,
CPU (user + system) and peak RSS, with the 1-minute load average before and after
(``benchmarks/process_runs.py``). The commands run on their own QUANTPILOT_HOME with the embedded server left
running between commands, as the CLI leaves it for a user; ``quantpilot demo`` fills it first (the 20 bundled
stocks, approvals, a paper account with orders; timed, then timed again on the filled home: goals 60 s and 30
s) and the server is stopped at the end. ``approvals approve`` is timed on a new risk-limit request each run
(the trader asks in ``chat --once``, untimed), and the API's equivalents of the reads on a ``quantpilot
serve`` started on the same home (``benchmarks/api_reads.py``). Goals (issue 20): ``--help`` <= 0.3 s, reads
<= 1 s, an argument error <= 0.5 s, ``approvals approve`` <= 1.5 s, ``chat --once`` (offline planner) <= 3 s;
``backtest grid`` (20 stocks × 174 SMA pairs, overfitting statistics on, the default) >= 10x vectorbt on the
same grid in the same run (handed to the resident research process, as from a session's second command; the
command in its own process is timed and shown too), on wall time from process start (vectorbt's script,
``benchmarks/peers/vectorbt_grid_script.py``, timed the same way) and on the command's own ``elapsed_s``
(against vectorbt's in-process grid time from ``benchmarks/peers/vectorbt_sma.py`` in the same ``run_all``),
peak RSS < 400 MB (the command's and the resident process's); ``walkforward`` peak RSS < 400 MB (the issue sets
it no time goal). One JSON line per command (``emit``).
Run: `.venv/bin/python benchmarks/end_to_end.py [--runs 5] [--peer-runs 3] [--home DIR] [--quick]`
(``--quick``: two stocks from 2019, a 6-pair grid, 1 run without warm-up, no decision, API or vectorbt: a
smoke run).
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

from benchmarks.api_reads import measure_api_reads  # noqa: E402
from benchmarks.peers.workloads import emit  # noqa: E402
from benchmarks.process_runs import ProcessRuns, repeat_process, run_process  # noqa: E402

QUANTPILOT = Path(sys.executable).with_name("quantpilot")
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
STOCKS = "AAPL,AMD,BAC,BBY,CVX,GE,HD,JNJ,JPM,KO,LLY,MRK,MSFT,PEP,PFE,PG,RRC,UNH,WMT,XOM"  # the bundled stocks
GRID = ("--grid", "fast=5:50:5", "--grid", "slow=20:200:10")  # 174 valid pairs
QUICK_GRID = ("--grid", "fast=5:10:5", "--grid", "slow=20:40:10")
CHAT = "backtest an SMA crossover on AAPL and MSFT"
READ_S, ERROR_S, HELP_S, CHAT_S, DECIDE_S, RSS_MB, PEER_RATIO = 1.0, 0.5, 0.3, 3.0, 1.5, 400.0, 10.0
DEMO_FIRST_S, DEMO_AGAIN_S = 60.0, 30.0  # `quantpilot demo` on a new home (the venv built), then again on it
# the API's equivalents of the CLI's reads (GET, the demo trader's key): name -> path
API_READS = {"data list": "/api/v1/data/symbols", "approvals list": "/api/v1/approvals", "orders list":
             "/api/v1/orders", "positions": "/api/v1/positions", "risk status": "/api/v1/risk/status",
             "runs list": "/api/v1/backtests"}


@dataclass(frozen=True)
class Command:
    """A row: ``name`` as the issue writes it, the argv after ``quantpilot``, its goal in seconds
    (None: no time goal), the exit code it should end with."""

    name: str
    argv: tuple[str, ...]
    goal_s: float | None
    expect_exit: int = 0


def cli_commands(approval_id: str | None, has_runs: bool) -> list[Command]:
    rows = [Command("--help", ("--help",), HELP_S), Command("data list", ("data", "list"), READ_S),
            Command("approvals list", ("approvals", "list"), READ_S)]
    if approval_id:
        rows.append(Command("approvals show ID", ("approvals", "show", approval_id), READ_S))
    if has_runs:  # `runs list` arrives with the research workbench (issue 19)
        rows.append(Command("runs list", ("runs", "list"), READ_S))
    return rows + [
        Command("orders list", ("orders", "list"), READ_S), Command("risk status", ("risk", "status"), READ_S),
        Command("positions", ("positions",), READ_S),
        Command("optimize --method no_such_method (argument error)",
                ("optimize", "--method", "no_such_method", "--symbols", "AAPL"), ERROR_S, expect_exit=2),
        Command(f'chat --once "{CHAT}" (offline planner)', ("chat", "--once", CHAT), CHAT_S)]


def child_env(home: Path) -> dict[str, str]:
    """This process's environment for the commands: their home, the server kept up between them, and
    numba's cache under the home (as the CLI sets it for a user). Bytecode is cached as for an installed
    package: a shell with PYTHONDONTWRITEBYTECODE would have every module changed since the last cached
    compile (a fresh checkout: all of them) compiled from source in every timed run, 0.2-0.4 s of the grid."""
    env = {k: v for k, v in os.environ.items() if k not in (
        "NUMBA_CACHE_DIR", "DATABASE_URL", "QUANTPILOT_DATABASE_URL", "QUANTPILOT_EMBEDDED_URL",
        "PYTHONDONTWRITEBYTECODE")}
    return env | {"QUANTPILOT_HOME": str(home), "QUANTPILOT_DB_KEEP_RUNNING": "true", "PYTHONPATH": str(ROOT)}


def prepare(env: dict[str, str], quick: bool) -> str | None:
    """Fill the home (the demo, or two stocks when quick); the id of an approval to show, if any."""
    import json

    argv = [str(QUANTPILOT), "data", "load", "--source", "bundled", "--symbols", "AAPL,MSFT", "--start",
            "2019-01-01"] if quick else [str(QUANTPILOT), "demo"]
    if quick:  # loading acts as someone: the install's first admin (local set-up), who signs the CLI in as a trader
        for add in (("bench-admin", "admin"), ("bench", "trader")):
            run_process([str(QUANTPILOT), "users", "add", add[0], "--role", add[1], "--login"], env, ROOT)
    for run, goal_s in (("first run on a new home", DEMO_FIRST_S), ("again on that home", DEMO_AGAIN_S)):
        load_before = os.getloadavg()[0]
        setup = run_process(argv, env, ROOT, timeout_s=1800)
        if setup.exit_code != 0:
            raise SystemExit(f"setup failed ({' '.join(argv[1:])}): {setup.stderr[-2000:]}")
        emit("e2e_setup", f"quantpilot {' '.join(argv[1:])}", (setup.wall_s, setup.cpu_s), command=run,
             peak_mb=round(setup.peak_mb, 1), goal_s=None if quick else goal_s, runs=1,
             load_avg_1m=round(load_before, 2), load_avg_1m_after=round(os.getloadavg()[0], 2))
        if quick:
            break
    listed = run_process([str(QUANTPILOT), "approvals", "list", "--json"], env, ROOT)
    approvals = json.loads(listed.stdout) if listed.exit_code == 0 and listed.stdout.strip() else []
    return approvals[0]["id"] if approvals else None


DURATION = r"([\d,.]+ (?:ms|s))"  # as ``quant.display.seconds`` writes one: "49 ms", "17.03 s", "1,234.50 s"


def _duration_s(text: str) -> float:
    number, unit = text.split()
    value = float(number.replace(",", ""))
    return value / 1000 if unit == "ms" else value


def _seconds(pattern: str, runs: ProcessRuns) -> float | None:
    """The p50 of a duration the command prints (``pattern`` captures it, ``DURATION``), None if never printed."""
    values = sorted(_duration_s(m.group(1)) for r in runs.runs if (m := re.search(pattern, r.stdout)))
    return values[len(values) // 2] if values else None


def approvals_approve(env: dict[str, str], home: Path, runs: int, warmup: int) -> None:
    """``approvals approve ID`` as the demo's approver, each run on a new pending request: the demo's trader asks
    (``chat --once``, untimed) for a risk-limit change, the approver decides it and the waiting thread resumes
    and applies it, as a person's decision does."""
    import json

    keys = {who: (home / "demo-keys" / f"{who}.key").read_text(encoding="utf-8").strip() for who in ("dana", "avery")}
    done, load_before = [], None
    for i in range(warmup + runs):
        asked = run_process([str(QUANTPILOT), "chat", "--once", f"set max_open_positions to {11 + i % 4} because "
                             f"benchmark round {i}"], env | {"QUANTPILOT_API_KEY": keys["dana"]}, ROOT)
        listed = run_process([str(QUANTPILOT), "approvals", "list", "--status", "pending", "--json"], env, ROOT)
        pending = [a["id"] for a in json.loads(listed.stdout or "[]") if a["kind"] == "risk_limit"]
        if asked.exit_code != 0 or not pending:
            raise SystemExit(f"no risk-limit request to approve: {asked.stdout[-500:]}{asked.stderr[-500:]}")
        decided = run_process([str(QUANTPILOT), "approvals", "approve", pending[0]],
                              env | {"QUANTPILOT_API_KEY": keys["avery"]}, ROOT)
        if i >= warmup:
            load_before = os.getloadavg()[0] if load_before is None else load_before
            done.append(decided)
    record = ProcessRuns(tuple(done), load_before, os.getloadavg()[0]).to_record()
    emit("e2e_cli", "quantpilot", (record.pop("seconds"), record.pop("cpu_seconds")),
         command="approvals approve ID (decision; the thread resumes)", **record, goal_s=DECIDE_S, expect_exit=0)


def measure(command: Command, env: dict[str, str], runs: int, warmup: int) -> None:
    record = repeat_process([str(QUANTPILOT), *command.argv], env, runs, cwd=ROOT, warmup=warmup).to_record()
    emit("e2e_cli", "quantpilot", (record.pop("seconds"), record.pop("cpu_seconds")), command=command.name,
         **record, goal_s=command.goal_s, expect_exit=command.expect_exit)


def research(env: dict[str, str], runs: int, warmup: int, quick: bool) -> None:
    """``backtest grid`` and ``walkforward`` two ways: in their own process (``QUANTPILOT_RESEARCH_SERVER=off``: a
    session's first command, or a person who turned the resident process off), then handed to the home's resident
    research process (the default from a session's second command), whose peak RSS is reported beside the
    command's."""
    symbols, grid = ("AAPL,MSFT", QUICK_GRID) if quick else (STOCKS, GRID)
    args = ("--strategy", "sma_crossover", "--symbols", symbols, *grid)
    stocks = f"<{symbols.count(',') + 1} stocks> {' '.join(grid)}"
    for mode, environment in (("own process", env | {"QUANTPILOT_RESEARCH_SERVER": "off"}), ("resident", env)):
        if mode == "resident":
            started = run_process([str(QUANTPILOT), "research-server", "start"], env, ROOT)
            if started.exit_code != 0:
                raise SystemExit(f"the resident research process did not start: {started.stderr[-500:]}")
        grid_runs = repeat_process([str(QUANTPILOT), "backtest", "grid", *args], environment, runs, cwd=ROOT,
                                   warmup=warmup)
        resident_peak = _resident_peak_mb(env) if mode == "resident" else None
        record = grid_runs.to_record()
        emit("e2e_backtest_grid", f"quantpilot backtest grid ({mode})", (record.pop("seconds"),
             record.pop("cpu_seconds")), command=f"backtest grid --symbols {stocks}", **record, mode=mode,
             elapsed_s=_seconds(rf"backtests in {DURATION}", grid_runs),
             overfitting_s=_seconds(rf"overfitting statistics took {DURATION}", grid_runs),
             kernel_load_s=_seconds(rf"kernels loaded in {DURATION} before", grid_runs), goal_mb=RSS_MB,
             resident_peak_mb=resident_peak)
        wf_runs = repeat_process([str(QUANTPILOT), "walkforward", *args], environment, runs, cwd=ROOT,
                                 warmup=warmup)
        record = wf_runs.to_record()
        emit("e2e_walkforward", f"quantpilot walkforward ({mode})", (record.pop("seconds"), record.pop("cpu_seconds")),
             command=f"walkforward --symbols {stocks} (252/63-bar folds)", **record, mode=mode,
             elapsed_s=_seconds(rf"of {DURATION} \(a full-sample grid", wf_runs),
             overfitting_s=_seconds(rf"overfitting statistics took {DURATION}", wf_runs), goal_mb=RSS_MB,
             resident_peak_mb=_resident_peak_mb(env) if mode == "resident" else None)


def _resident_peak_mb(env: dict[str, str]) -> float | None:
    """The resident research process's peak RSS so far (its own ``status``), None when none runs."""
    import json

    shown = run_process([str(QUANTPILOT), "research-server", "status", "--json"], env, ROOT)
    info = json.loads(shown.stdout or "{}")
    return info.get("peak_mb") if info.get("running") else None


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
        has_runs = run_process([str(QUANTPILOT), "runs", "--help"], env, ROOT).exit_code == 0
        for command in cli_commands(approval_id, has_runs):
            measure(command, env, runs, warmup)
        if not args.quick:
            approvals_approve(env, home, runs, warmup)
            measure_api_reads(QUANTPILOT, env, ROOT, (home / "demo-keys" / "dana.key").read_text().strip(),
                              API_READS, runs)
        research(env, runs, warmup, args.quick)
        if not (args.quick or args.skip_peers) and PEERS_PYTHON.exists():
            vectorbt(env, max(args.peer_runs, 1), warmup)
    finally:
        run_process([str(QUANTPILOT), "db", "stop"], env, ROOT)


if __name__ == "__main__":
    main()
