"""``report_json``: the report's data as a JSON-ready dict (ISO timestamps, NaN → None)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from quant.reports.inputs import as_plain_dict, check_equity, check_trades, drawdown_pct, monthly_returns_pct


def jsonable(value):
    """Recursively convert numpy/pandas scalars, timestamps and NaN into JSON-safe Python values."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Index):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp | datetime | date):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    if value is pd.NaT:
        return None
    return value


def report_json(
    equity: pd.Series,
    metrics: Mapping[str, object],
    *,
    title: str = "Backtest report",
    trades: pd.DataFrame | None = None,
    folds: Sequence[Mapping] | None = None,
    overfitting: Mapping | None = None,
    monte_carlo=None,
    optimization=None,
    frontier: Sequence | None = None,
    generated_at: datetime | None = None,
) -> dict:
    """Same inputs as ``render_backtest_report`` (without prices) → dict; drawdown and monthly returns in %."""
    equity = check_equity(equity)
    trades = check_trades(trades)
    monthly = monthly_returns_pct(equity)
    return jsonable(
        {
            "title": title,
            "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
            "metrics": dict(metrics),
            "equity": {"ts": list(equity.index), "value": equity.to_numpy()},
            "drawdown_pct": drawdown_pct(equity).to_numpy(),
            "monthly_returns_pct": {
                str(year): {str(m): row[m] for m in row.index} for year, row in monthly.iterrows()
            },
            "trades": trades.to_dict(orient="records"),
            "folds": [dict(f) for f in folds or []],
            "overfitting": dict(overfitting) if overfitting else None,
            "monte_carlo": as_plain_dict(monte_carlo),
            "optimization": as_plain_dict(optimization),
            "frontier": [as_plain_dict(p) for p in frontier or []],
        }
    )
