"""Purged k-fold and walk-forward splits: no training label overlaps a test fold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errors import ConfigError
from quant.features.splits import purged_kfold, walk_forward_splits


def label_times(n: int, horizon: int) -> pd.Series:
    t0 = pd.date_range("2022-01-01", periods=n, freq="D", tz="UTC")
    t1 = [t0[min(i + horizon, n - 1)] for i in range(n)]
    return pd.Series(t1, index=t0)


def assert_no_overlap(times: pd.Series, train: np.ndarray, test: np.ndarray) -> None:
    start, end = times.index[test[0]], times.iloc[test].max()
    for i in train:
        assert times.iloc[i] < start or times.index[i] > end, f"row {i} overlaps the test fold"


def test_purged_kfold_removes_exactly_the_rows_whose_labels_reach_into_the_test_fold():
    times = label_times(100, horizon=5)
    splits = purged_kfold(times, n_splits=5)
    middle = splits[2]  # test rows 40..59, span 40 .. t1[59] = 64
    np.testing.assert_array_equal(middle.test, np.arange(40, 60))
    np.testing.assert_array_equal(middle.train, np.r_[np.arange(0, 35), np.arange(65, 100)])


def test_embargo_drops_rows_right_after_the_test_span():
    times = label_times(100, horizon=5)
    middle = purged_kfold(times, n_splits=5, embargo_bars=3)[2]
    np.testing.assert_array_equal(middle.train, np.r_[np.arange(0, 35), np.arange(68, 100)])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(20, 120), horizon=st.integers(0, 10), k=st.integers(2, 6), embargo=st.integers(0, 5))
def test_no_training_label_ever_overlaps_its_test_fold(n, horizon, k, embargo):
    times = label_times(n, horizon)
    for split in purged_kfold(times, n_splits=k, embargo_bars=embargo):
        assert_no_overlap(times, split.train, split.test)
        assert not set(split.train) & set(split.test)
    for split in walk_forward_splits(times, n_splits=min(k, n - 10), min_train_size=10):
        assert_no_overlap(times, split.train, split.test)
        assert split.train.size == 0 or split.train.max() < split.test[0]


def test_walk_forward_expanding_and_rolling_windows():
    times = label_times(100, horizon=3)
    splits = walk_forward_splits(times, n_splits=4, min_train_size=20)
    np.testing.assert_array_equal(splits[0].test, np.arange(20, 40))
    np.testing.assert_array_equal(splits[0].train, np.arange(0, 17))  # rows 17..19 end at >= 20
    rolling = walk_forward_splits(times, n_splits=4, min_train_size=20, train_size=10)
    np.testing.assert_array_equal(rolling[1].train, np.arange(30, 37))


def test_unsorted_or_inconsistent_label_times_are_config_errors():
    times = label_times(30, 2)
    with pytest.raises(ConfigError):
        purged_kfold(times.iloc[::-1])
    with pytest.raises(ConfigError):
        purged_kfold(times, n_splits=1)
