"""Benchmarks run on a private QUANTPILOT_HOME (their own embedded server), set up in main() only:
importing a benchmark module (the smoke tests do) must never change the importing process's settings."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def use_private_home(prefix: str, home: Path | None = None) -> Path:
    """Point this process at a fresh data directory and the embedded server; returns the directory."""
    home = home or Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["QUANTPILOT_HOME"] = str(home)
    os.environ["QUANTPILOT_DB_KEEP_RUNNING"] = "false"
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("QUANTPILOT_DATABASE_URL", None)
    os.environ.pop("QUANTPILOT_EMBEDDED_URL", None)
    return home
