"""Run the quantpilot CLI in-process, exactly as `quantpilot ...` would, capturing output and exit code."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> CliResult:
    from api import cli, output

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["quantpilot", *args]
    output.console.file = out
    output.err_console.file = err
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
    return CliResult(code, out.getvalue(), err.getvalue())
