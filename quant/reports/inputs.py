"""Validation of report inputs and the derived series (drawdown, monthly returns) both formats share.

Inputs are plain: equity is a ``pd.Series`` (currency, DatetimeIndex); trades a DataFrame with
``TRADE_COLUMNS``; metrics a dict; Monte Carlo / optimisation results either the result objects
or their ``to_dict()``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from errors import DataError

TRADE_COLUMNS: tuple[str, ...] = ("entry_ts", "exit_ts", "symbol", "qty", "entry_price", "exit_price", "pnl", "fees")


def check_equity(equity: pd.Series) -> pd.Series:
    """Equity curve (currency) sorted by time; DataError when empty, unindexed or non-finite."""
    if not isinstance(equity, pd.Series) or equity.empty:
        raise DataError("equity must be a non-empty pandas Series of account values")
    if not isinstance(equity.index, pd.DatetimeIndex):
        raise DataError("equity index must be a DatetimeIndex")
    values = equity.astype("float64").sort_index()
    if not np.isfinite(values.to_numpy()).all():
        bad = values[~np.isfinite(values.to_numpy())].index[0]
        raise DataError(f"equity has a non-finite value at {bad}")
    return values


def check_trades(trades: pd.DataFrame | None) -> pd.DataFrame:
    """Trades with the canonical columns (empty frame when None); DataError naming missing columns."""
    if trades is None:
        return pd.DataFrame(columns=list(TRADE_COLUMNS))
    missing = [c for c in TRADE_COLUMNS if c not in trades.columns]
    if missing:
        raise DataError(f"trades lack columns {missing}")
    out = trades.loc[:, list(TRADE_COLUMNS)].copy()
    for column in ("entry_ts", "exit_ts"):
        out[column] = pd.to_datetime(out[column])
    return out.sort_values("entry_ts", kind="stable").reset_index(drop=True)


def drawdown_pct(equity: pd.Series) -> pd.Series:
    """Drawdown from the running peak, in percent (0 at a new high, -12.5 = 12.5 % below)."""
    peak = equity.cummax()
    return (equity / peak - 1.0) * 100.0


def monthly_returns_pct(equity: pd.Series) -> pd.DataFrame:
    """Calendar-month returns in percent: index = year, columns = month 1..12 (NaN where no data).

    The first month is measured from the first equity value.
    """
    month_end = equity.groupby([equity.index.year, equity.index.month]).last()
    previous = month_end.shift(1)
    previous.iloc[0] = equity.iloc[0]
    returns = (month_end / previous - 1.0) * 100.0
    returns.index = returns.index.set_names(["year", "month"])
    table = returns.unstack("month").reindex(columns=range(1, 13))
    return table


def as_plain_dict(value) -> dict | None:
    """A result object's ``to_dict()`` or the mapping itself (None stays None)."""
    if value is None:
        return None
    if hasattr(value, "to_dict") and not isinstance(value, Mapping | pd.DataFrame | pd.Series):
        return value.to_dict()
    return dict(value)


MAX_POINTS = 1500


def thinned(series: pd.Series, max_points: int = MAX_POINTS, *, how: str = "last") -> pd.Series:
    """At most ``max_points`` points of ``series`` for a chart: consecutive blocks of equal length, each kept
    as its last point (``how="last"``) or its lowest (``"min"``, so a drawdown keeps its depth); the first and
    last points always stay."""
    n = len(series)
    if n <= max_points:
        return series
    step = -(-n // max_points)
    blocks = np.arange(n) // step
    if how == "min":
        values = series.to_numpy()
        keep = pd.Series(values).groupby(blocks).idxmin().to_numpy()
    else:
        keep = pd.Series(np.arange(n)).groupby(blocks).last().to_numpy()
    keep = np.unique(np.concatenate(([0], keep, [n - 1])))
    return series.iloc[keep]
