"""What makes a run reproducible: the hash of the bars it read and of everything that configured it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd


def run_hashes(panels: Mapping[str, pd.DataFrame], config, extra: Mapping[str, Any]) -> dict[str, str]:
    """``data_hash`` over the panels (every field, sorted) and ``config_hash`` over the backtest ``config`` and
    ``extra`` (the grid, the walk-forward windows): the same inputs give the same hashes."""
    from quant.backtest.result import config_hash, data_hash

    return {"data_hash": data_hash(*(panels[field] for field in sorted(panels))),
            "config_hash": config_hash(config, dict(extra))}
