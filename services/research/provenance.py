"""What makes a run reproducible: the hash of the bars it read and of everything that configured it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd


def run_hashes(panels: Mapping[str, pd.DataFrame], config, extra: Mapping[str, Any]) -> dict[str, str]:
    """``data_hash`` over the panels (every field, sorted) and ``config_hash`` over the backtest ``config`` and
    ``extra`` (the grid, the walk-forward windows): the same inputs give the same hashes."""
    from quant.backtest.result import config_hash, data_hash

    return {"data_hash": data_hash(*(panels[field] for field in sorted(panels))),
            "config_hash": config_hash(config, dict(extra))}


def settings_hash(kind: str, settings: Mapping[str, Any]) -> str:
    """``config_hash`` of a run without a backtest config (a Monte Carlo, an optimisation): sha256 of the canonical
    JSON of its kind and settings, so the same request gives the same hash."""
    payload = {"kind": kind, "settings": dict(settings)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()
