"""Walk-forward folds as people read them: the parameters each fold chose and its out-of-sample results, measured
on the fold's whole account (every symbol together) so trades are whole numbers and ratios come from the pooled
trades, never an average of per-symbol ratios."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from services.research.curves import combined_equity

FOLD_METRICS = ("total_return", "sharpe", "max_drawdown", "win_rate", "profit_factor")


def fold_rows(folds: Sequence[Mapping[str, Any]], equity: pd.DataFrame, trades: pd.DataFrame, *,
              initial_capital: float, periods_per_year: int) -> list[dict[str, Any]]:
    """One dict per fold: ``fold``, ``params`` (chosen in-sample), ``in_sample_score``, ``oos_start``/``oos_end``
    (dates), ``trades`` (an integer) and ``metrics`` (``FOLD_METRICS`` of the fold's combined equity, which
    starts from the previous fold's closing value). ``folds``: ``WalkForwardResult.to_dict()["folds"]``;
    ``equity``: the stitched out-of-sample equity, one column per symbol; ``trades``: with a ``fold`` column."""
    from quant.metrics.performance import compute_metrics

    account = combined_equity(equity)
    rows, at, capital = [], 0, float(initial_capital)
    for fold in folds:
        start, stop = fold["out_of_sample"]
        piece = account.iloc[at:at + (stop - start)]
        at += stop - start
        own = trades[trades["fold"] == fold["number"]] if "fold" in trades else trades.iloc[0:0]
        metrics = compute_metrics(piece.to_numpy(), own, periods_per_year=periods_per_year,
                                  initial_capital=capital).to_dict() if len(piece) else {}
        rows.append({"fold": fold["number"], "params": dict(fold["params"]),
                     "in_sample_score": fold.get("in_sample_score"),
                     "oos_start": piece.index[0].date().isoformat() if len(piece) else None,
                     "oos_end": piece.index[-1].date().isoformat() if len(piece) else None,
                     "trades": int(len(own)), "metrics": {k: metrics.get(k) for k in FOLD_METRICS}})
        if len(piece):
            capital = float(piece.iloc[-1])
    return rows
