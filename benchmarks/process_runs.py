"""Process start to answer: run a command as a child process and measure what a person waits for.

``run_process`` returns the child's wall seconds (from just before the fork to its exit), CPU
seconds (user + system, its waited-for children included) and peak resident set size in MB
(``wait4``'s ``ru_maxrss``: the child's own, interpreter and imports included; measured by the
small launcher ``child_rusage.py``, since a child forked from this process would report this
process's memory as its floor), with its exit code and output. ``repeat_process`` runs it ``runs``
times, one after another, and keeps every figure, with the machine's 1-minute load average before
and after (the benchmark machine is shared).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = Path(__file__).with_name("child_rusage.py")


@dataclass(frozen=True)
class ProcessRun:
    wall_s: float
    cpu_s: float
    peak_mb: float
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class ProcessRuns:
    """``runs`` of one command; medians are p50 over them."""

    runs: tuple[ProcessRun, ...]
    load_before: float
    load_after: float

    def p50(self, name: str) -> float:
        return float(statistics.median(getattr(r, name) for r in self.runs))

    def to_record(self) -> dict:
        """The JSON figures: p50 wall/CPU/peak RSS, every run's wall, the loads around the runs."""
        return {"seconds": round(self.p50("wall_s"), 4), "cpu_seconds": round(self.p50("cpu_s"), 4),
                "peak_mb": round(self.p50("peak_mb"), 1), "max_peak_mb": round(max(r.peak_mb for r in self.runs), 1),
                "runs": len(self.runs), "walls": [round(r.wall_s, 3) for r in self.runs],
                "exit_codes": sorted({r.exit_code for r in self.runs}),
                "load_avg_1m": round(self.load_before, 2), "load_avg_1m_after": round(self.load_after, 2)}


def run_process(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None,
                timeout_s: float = 900.0) -> ProcessRun:
    """Run ``argv`` to completion through ``child_rusage.py`` (so its peak RSS is its own, not this
    process's); its wall, CPU and peak RSS from ``wait4``, its output and exit code."""
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "out", "w+b") as out, \
            open(Path(tmp) / "err", "w+b") as err:
        figures = Path(tmp) / "rusage.json"
        done = subprocess.run([sys.executable, "-S", str(LAUNCHER), str(figures), *argv], stdout=out, stderr=err,
                              env=dict(env), cwd=cwd, timeout=timeout_s, check=False)
        if not figures.exists():
            raise RuntimeError(f"{argv[0]} did not start (exit {done.returncode})")
        measured = json.loads(figures.read_text())
        out.seek(0)
        err.seek(0)
        return ProcessRun(wall_s=measured["wall_s"], cpu_s=measured["cpu_s"], peak_mb=measured["peak_mb"],
                          exit_code=measured["exit_code"], stdout=out.read().decode(errors="replace"),
                          stderr=err.read().decode(errors="replace"))


def repeat_process(argv: Sequence[str], env: Mapping[str, str], runs: int, *, cwd: Path | None = None,
                   warmup: int = 1, timeout_s: float = 900.0) -> ProcessRuns:
    """``warmup`` untimed runs (warm disk and caches, as a user's second run), then ``runs`` timed ones."""
    for _ in range(warmup):
        run_process(argv, env, cwd, timeout_s)
    load_before = os.getloadavg()[0]
    done = tuple(run_process(argv, env, cwd, timeout_s) for _ in range(runs))
    return ProcessRuns(runs=done, load_before=load_before, load_after=os.getloadavg()[0])
