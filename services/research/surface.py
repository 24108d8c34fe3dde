"""A grid's result surface: one row per parameter set with its objective and headline statistics averaged over
the symbols (trades summed), kept as an artifact so the web page and the report can draw the heatmap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SURFACE_STATS = ("sharpe", "total_return", "max_drawdown", "cagr")


def grid_surface(result, objective: str) -> pd.DataFrame:
    """``result``: a ``quant.backtest.grid.GridResult``. Columns: every parameter, ``objective`` (the score the
    grid ranks by, -inf as NaN), ``SURFACE_STATS`` averaged over symbols, ``trades`` summed over symbols."""
    table = pd.DataFrame(list(result.params))
    score = np.asarray(result.objective(objective), dtype=float)
    table["score"] = np.where(np.isfinite(score), score, np.nan)
    for name in SURFACE_STATS:
        table[name] = result.metric(name).to_numpy().mean(axis=1)
    table["trades"] = result.metric("trades").to_numpy().sum(axis=1).round().astype("int64")
    return table.rename(columns={"score": f"objective_{objective}"})


def store_surface(table: pd.DataFrame, directory: Path) -> str:
    path = directory / "surface.parquet"
    table.to_parquet(path)
    return str(path)
