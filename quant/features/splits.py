"""Cross-validation splits that do not leak labels across folds.

Rows are described by ``label_times``: index = t0 (the ts a row's features are observed, sorted
ascending), values = t1 (the ts of the last bar its label depends on; e.g. the ``t1`` column of
``quant.features.labels``). A training row *overlaps* a test fold when its label interval
[t0, t1] intersects the fold's span [first t0, last t1]; such rows are purged. The embargo
additionally drops the ``embargo_bars`` rows that follow the fold's span (serial correlation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from errors import ConfigError


@dataclass(frozen=True)
class Split:
    """Integer row positions for one fold."""

    train: np.ndarray
    test: np.ndarray


def _validate(label_times: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if not label_times.index.is_monotonic_increasing:
        raise ConfigError("label_times index (t0) must be sorted ascending")
    t0 = label_times.index.to_numpy()
    t1 = label_times.fillna(label_times.index.max()).to_numpy()
    if (t1 < t0).any():
        row = int(np.argmax(t1 < t0))
        raise ConfigError(f"label end before its start at row {row}", details={"row": row})
    return t0, t1


def _train_outside(t0, t1, test: np.ndarray, candidates: np.ndarray, embargo_bars: int) -> np.ndarray:
    span_start = t0[test[0]]
    span_end = t1[test].max()
    overlaps = (t0[candidates] <= span_end) & (t1[candidates] >= span_start)
    keep = candidates[~overlaps]
    if embargo_bars > 0:
        after = int(np.searchsorted(t0, span_end, side="right"))
        embargoed = (keep >= after) & (keep < after + embargo_bars)
        keep = keep[~embargoed]
    return keep


def purged_kfold(label_times: pd.Series, n_splits: int = 5, embargo_bars: int = 0) -> list[Split]:
    """K contiguous test folds; train = every other row minus purged and embargoed rows."""
    t0, t1 = _validate(label_times)
    n = len(t0)
    if not 2 <= n_splits <= n:
        raise ConfigError(f"n_splits must be in [2, {n}], got {n_splits}", details={"field": "n_splits"})
    if embargo_bars < 0:
        raise ConfigError(f"embargo_bars must be >= 0, got {embargo_bars}", details={"field": "embargo_bars"})
    splits = []
    for test in np.array_split(np.arange(n), n_splits):
        candidates = np.setdiff1d(np.arange(n), test)
        splits.append(Split(_train_outside(t0, t1, test, candidates, embargo_bars), test))
    return splits


def walk_forward_splits(
    label_times: pd.Series,
    n_splits: int = 5,
    min_train_size: int = 100,
    train_size: int | None = None,
    embargo_bars: int = 0,
) -> list[Split]:
    """Sequential test folds after an initial ``min_train_size`` rows; train = rows before the
    fold (all of them, or the last ``train_size``), purged of labels that reach into the fold."""
    t0, t1 = _validate(label_times)
    n = len(t0)
    if min_train_size < 1 or min_train_size >= n:
        raise ConfigError(f"min_train_size must be in [1, {n}), got {min_train_size}")
    if n_splits < 1 or n_splits > n - min_train_size:
        raise ConfigError(f"n_splits must be in [1, {n - min_train_size}], got {n_splits}")
    splits = []
    for test in np.array_split(np.arange(min_train_size, n), n_splits):
        start = 0 if train_size is None else max(0, test[0] - train_size)
        candidates = np.arange(start, test[0])
        train = _train_outside(t0, t1, test, candidates, embargo_bars)
        splits.append(Split(train, test))
    return splits
