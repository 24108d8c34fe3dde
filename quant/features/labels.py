"""Supervised-learning labels for one symbol's closes (index = ts, time order).

Every label row carries ``t1``, the ts of the last bar its outcome depends on, so that
``quant.features.splits`` can purge training rows whose label overlaps a test fold. Rows
whose horizon runs past the data have NaN labels (never a label from a partial horizon).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from errors import ConfigError


def forward_return_labels(close: pd.Series, horizon: int, threshold: float = 0.0) -> pd.DataFrame:
    """Forward return over ``horizon`` bars and its class.

    Columns: ``fwd_ret`` = close[t+horizon]/close[t] - 1 (fraction), ``label`` = +1 when
    fwd_ret > threshold, -1 when < -threshold, 0 otherwise (NaN where t+horizon is past the
    data), ``t1`` = ts of bar t+horizon (NaT past the data).
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ConfigError(f"horizon must be an integer >= 1, got {horizon!r}", details={"field": "horizon"})
    if threshold < 0:
        raise ConfigError(f"threshold must be >= 0, got {threshold}", details={"field": "threshold"})
    fwd = close.shift(-horizon) / close - 1.0
    label = pd.Series(np.where(fwd > threshold, 1.0, np.where(fwd < -threshold, -1.0, 0.0)), index=close.index)
    label[fwd.isna()] = np.nan
    t1 = pd.Series(close.index, index=close.index).shift(-horizon)
    return pd.DataFrame({"fwd_ret": fwd, "label": label, "t1": t1})


@njit(cache=True)
def _first_touch(close, upper, lower, max_bars):
    """Per event i: (bar offset of the touch, barrier code +1 upper / -1 lower / 0 vertical,
    -2 when the horizon runs past the data without a touch)."""
    n = close.shape[0]
    offset = np.zeros(n, dtype=np.int64)
    code = np.zeros(n, dtype=np.int64)
    for i in range(n):
        code[i] = -2
        base = close[i]
        for j in range(i + 1, min(i + max_bars, n - 1) + 1):
            r = close[j] / base - 1.0
            if r >= upper[i]:
                code[i] = 1
                offset[i] = j - i
                break
            if r <= -lower[i]:
                code[i] = -1
                offset[i] = j - i
                break
        if code[i] == -2 and i + max_bars <= n - 1:
            code[i] = 0
            offset[i] = max_bars
    return offset, code


def triple_barrier_labels(
    close: pd.Series,
    max_holding_bars: int,
    profit_take: float | None = 0.02,
    stop_loss: float | None = 0.02,
    width: pd.Series | None = None,
) -> pd.DataFrame:
    """Triple-barrier labels (López de Prado) on closes, one event per bar.

    Upper barrier: return >= profit_take × width[t]; lower: return <= -stop_loss × width[t]
    (width defaults to 1, so the barriers are return fractions; pass e.g. a rolling volatility
    to scale them); vertical: ``max_holding_bars`` bars after t. None disables a horizontal
    barrier. Columns: ``label`` (+1 upper first, -1 lower first, 0 vertical; NaN when the data
    ends before any barrier), ``barrier`` ("upper"/"lower"/"vertical"/None), ``t1`` (ts of the
    touch, NaT when unresolved), ``ret`` (return from t to t1).
    """
    if isinstance(max_holding_bars, bool) or not isinstance(max_holding_bars, int) or max_holding_bars < 1:
        raise ConfigError(
            f"max_holding_bars must be an integer >= 1, got {max_holding_bars!r}",
            details={"field": "max_holding_bars"},
        )
    for name, value in (("profit_take", profit_take), ("stop_loss", stop_loss)):
        if value is not None and value <= 0:
            raise ConfigError(f"{name} must be > 0 or None, got {value}", details={"field": name})
    scale = np.ones(len(close)) if width is None else width.reindex(close.index).to_numpy(dtype=float)
    upper = np.inf * np.ones(len(close)) if profit_take is None else profit_take * scale
    lower = np.inf * np.ones(len(close)) if stop_loss is None else stop_loss * scale
    values = close.to_numpy(dtype=float)
    offset, code = _first_touch(values, upper, lower, max_holding_bars)
    resolved = code != -2
    positions = np.arange(len(close)) + offset
    t1 = pd.Series(pd.NaT, index=close.index, dtype=close.index.dtype if len(close) else "datetime64[ns, UTC]")
    t1[resolved] = close.index[positions[resolved]]
    ret = np.full(len(close), np.nan)
    ret[resolved] = values[positions[resolved]] / values[resolved] - 1.0
    names = {1: "upper", -1: "lower", 0: "vertical"}
    return pd.DataFrame(
        {
            "label": np.where(resolved, code, np.nan),
            "barrier": [names.get(int(c)) for c in code],
            "t1": t1,
            "ret": ret,
        },
        index=close.index,
    )
