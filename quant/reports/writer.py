"""Atomic report files: readers see the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from quant.reports.plotly_bundle import SCRIPT_TAG, place_plotly


def write_report(path: str | Path, html: str, *, plotly_cache: Path | None = None) -> Path:
    """Write ``html`` (UTF-8) to ``path`` via a temp file in the same folder and an atomic rename; a report that
    loads ``plotly.min.js`` gets it placed beside it (hard-linked from ``plotly_cache`` when given)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    finally:  # after a successful rename the temp name is gone and this is a no-op
        Path(temp_name).unlink(missing_ok=True)
    if SCRIPT_TAG in html:
        place_plotly(target.parent, plotly_cache)
    return target
