"""A command timed as a process: its own wall, CPU and peak memory, and its exit code."""

from __future__ import annotations

import os
import sys

from benchmarks.process_runs import repeat_process, run_process

ALLOCATE_200_MB = "import numpy as np; a = np.ones(200 * 2**20 // 8); print(a.sum() > 0)"


def test_a_process_run_reports_the_childs_own_peak_memory_output_and_exit_code():
    big = run_process([sys.executable, "-c", ALLOCATE_200_MB], os.environ)
    small = run_process([sys.executable, "-c", "import sys; sys.exit(3)"], os.environ)

    assert big.exit_code == 0 and big.stdout.strip() == "True"
    assert big.peak_mb >= 200 > small.peak_mb
    assert small.exit_code == 3
    assert big.wall_s > 0 and big.cpu_s > 0


def test_repeated_runs_keep_every_run_and_report_medians_with_the_load_around_them():
    runs = repeat_process([sys.executable, "-c", "pass"], os.environ, 3, warmup=0)

    record = runs.to_record()
    assert record["runs"] == 3 and len(record["walls"]) == 3 and record["exit_codes"] == [0]
    assert record["seconds"] == sorted(r.wall_s for r in runs.runs)[1].__round__(4)
    assert record["load_avg_1m"] >= 0 and record["peak_mb"] > 0
