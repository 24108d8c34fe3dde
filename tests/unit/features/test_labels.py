"""Labels on tiny hand-computed series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errors import ConfigError
from quant.features.labels import forward_return_labels, triple_barrier_labels

IDX = pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC")
CLOSE = pd.Series([100.0, 101.0, 103.0, 99.0, 98.0, 100.0], index=IDX)


def test_forward_return_labels_by_hand():
    out = forward_return_labels(CLOSE, horizon=2, threshold=0.01)
    # 100->103 +3% ; 101->99 -1.98% ; 103->98 -4.85% ; 99->100 +1.01%
    assert out["fwd_ret"].iloc[:4].tolist() == pytest.approx([0.03, 99 / 101 - 1, 98 / 103 - 1, 100 / 99 - 1])
    assert out["label"].iloc[:4].tolist() == [1.0, -1.0, -1.0, 1.0]
    assert out["label"].iloc[4:].isna().all() and out["t1"].iloc[4:].isna().all()
    assert out["t1"].iloc[0] == IDX[2]


def test_forward_return_inside_threshold_is_zero():
    out = forward_return_labels(CLOSE, horizon=1, threshold=0.05)
    assert (out["label"].iloc[:5] == 0).all()


def test_triple_barrier_by_hand():
    out = triple_barrier_labels(CLOSE, max_holding_bars=3, profit_take=0.02, stop_loss=0.02)
    # t0: 101 (+1%), 103 (+3%) -> upper at t2
    assert (out["label"].iloc[0], out["barrier"].iloc[0], out["t1"].iloc[0]) == (1.0, "upper", IDX[2])
    # t1 (101): 103 +1.98%, 99 -1.98%, 98 -2.97% -> lower at t4
    assert (out["label"].iloc[1], out["barrier"].iloc[1], out["t1"].iloc[1]) == (-1.0, "lower", IDX[4])
    assert out["ret"].iloc[1] == pytest.approx(98 / 101 - 1)
    # t2 (103): 99 -3.9% -> lower at t3
    assert (out["label"].iloc[2], out["t1"].iloc[2]) == (-1.0, IDX[3])
    # t3 (99): 98, 100 within +-2%, horizon ends past the data -> unresolved
    assert np.isnan(out["label"].iloc[3]) and pd.isna(out["t1"].iloc[3])
    # t4 (98): 100 is +2.04% -> upper at t5
    assert (out["label"].iloc[4], out["t1"].iloc[4]) == (1.0, IDX[5])


def test_triple_barrier_vertical_barrier_labels_zero_with_its_return():
    close = pd.Series([100.0, 100.5, 101.0, 100.2, 100.0], index=IDX[:5])
    out = triple_barrier_labels(close, max_holding_bars=2, profit_take=0.05, stop_loss=0.05)
    assert (out["label"].iloc[0], out["barrier"].iloc[0], out["t1"].iloc[0]) == (0.0, "vertical", IDX[2])
    assert out["ret"].iloc[0] == pytest.approx(0.01)


def test_triple_barrier_width_scales_barriers_and_none_disables_one():
    width = pd.Series(0.5, index=IDX)
    out = triple_barrier_labels(CLOSE, 3, profit_take=0.02, stop_loss=None, width=width)
    # upper at +1% now: t0 -> 101 (+1%) touches at t1; with no stop, t2 (103) ends vertical at t5
    assert out["t1"].iloc[0] == IDX[1]
    assert out["barrier"].iloc[2] == "vertical"


def test_invalid_label_parameters_are_config_errors():
    with pytest.raises(ConfigError):
        forward_return_labels(CLOSE, 0)
    with pytest.raises(ConfigError):
        triple_barrier_labels(CLOSE, 3, profit_take=-0.1)


def brute_force_triple_barrier(values: list[float], horizon: int, up: float, down: float) -> list[tuple]:
    """Reference: scan each event's future closes in plain Python."""
    out = []
    n = len(values)
    for i in range(n):
        result = (None, None)
        for j in range(i + 1, min(i + horizon, n - 1) + 1):
            r = values[j] / values[i] - 1
            if r >= up:
                result = (1.0, j)
                break
            if r <= -down:
                result = (-1.0, j)
                break
        if result[0] is None and i + horizon <= n - 1:
            result = (0.0, i + horizon)
        out.append(result)
    return out


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.floats(-0.05, 0.05), min_size=2, max_size=40),
    horizon=st.integers(1, 8),
    up=st.floats(0.005, 0.08),
    down=st.floats(0.005, 0.08),
)
def test_triple_barrier_agrees_with_a_brute_force_scan(steps, horizon, up, down):
    values = list(100 * np.exp(np.cumsum(steps)))
    index = pd.date_range("2024-01-01", periods=len(values), freq="D", tz="UTC")
    out = triple_barrier_labels(pd.Series(values, index=index), horizon, profit_take=up, stop_loss=down)
    for i, (label, j) in enumerate(brute_force_triple_barrier(values, horizon, up, down)):
        if label is None:
            assert np.isnan(out["label"].iloc[i]) and pd.isna(out["t1"].iloc[i])
        else:
            assert out["label"].iloc[i] == label and out["t1"].iloc[i] == index[j]
