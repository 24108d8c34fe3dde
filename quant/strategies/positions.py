"""Turning conditions into target-position panels (shared by the built-in strategies)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit


@njit(cache=True)
def _latch(enter, exit_, level):
    n, m = enter.shape
    out = np.zeros((n, m))
    for j in range(m):
        held = False
        for i in range(n):
            if held and exit_[i, j]:
                held = False
            elif not held and enter[i, j]:
                held = True
            out[i, j] = level if held else 0.0
    return out


def latch(enter: pd.DataFrame, exit_: pd.DataFrame, level: float = 1.0) -> pd.DataFrame:
    """Position ``level`` from the bar ``enter`` is true until the bar ``exit_`` is true (then 0),
    per column; a bar with both true while flat enters. NaN conditions count as false."""
    values = _latch(enter.fillna(False).to_numpy(dtype=bool), exit_.fillna(False).to_numpy(dtype=bool), float(level))
    return pd.DataFrame(values, index=enter.index, columns=enter.columns)


def sign_targets(score: pd.DataFrame, allow_short: bool) -> pd.DataFrame:
    """1 where score > 0, -1 where score < 0 (0 unless ``allow_short``), 0 where NaN."""
    long = (score > 0).astype(float)
    short = (score < 0).astype(float) if allow_short else 0.0
    return (long - short).fillna(0.0)
