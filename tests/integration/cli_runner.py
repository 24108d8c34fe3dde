"""Run the quantpilot CLI in-process, exactly as `quantpilot ...` would, capturing output and exit code."""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str, width: int | None = None) -> CliResult:
    """``width``: the terminal's columns (default: Rich's 80 for a non-terminal)."""
    from api import cli, output

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["quantpilot", *args]
    output.console.file = out
    output.err_console.file = err
    if width is not None:
        output.console.width = width
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
        output.console.file = None
        output.err_console.file = None
        if width is not None:
            output.console._width = None  # back to the terminal's own width
    return CliResult(code, out.getvalue(), err.getvalue())


def run_cli_json(*args: str) -> Any:
    """``run_cli(*args, "--json")``, which must succeed; its parsed stdout."""
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def load_synthetic(symbols: str, start: str = "2018-01-01", end: str = "2022-12-31") -> None:
    """``quantpilot data load --source synthetic`` for ``symbols`` (comma-separated), which must succeed."""
    result = run_cli("data", "load", "--source", "synthetic", "--symbols", symbols, "--start", start, "--end", end)
    assert result.exit_code == 0, result.stderr
