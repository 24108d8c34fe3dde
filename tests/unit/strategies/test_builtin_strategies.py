"""Built-in strategies: output contract, no lookahead, behaviour on constructed prices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quant.indicators import core
from quant.strategies import registry
from tests.unit.strategies.conftest import gbm_panels

FAST_PARAMS = {
    "xgboost_model": {"min_train_bars": 200, "retrain_every": 100, "n_estimators": 10, "threshold": 0.5},
    "xs_momentum": {"top_k": 2, "rebalance_every": 10, "lookback": 20},
}
NAMES = [spec.name for spec in registry.list_strategies()]


def run(name: str, panels: dict[str, pd.DataFrame]) -> pd.DataFrame:
    cls = registry.get_strategy(name)
    return cls.signals(panels, registry.validate_params(name, FAST_PARAMS.get(name, {})))


@pytest.mark.parametrize("name", NAMES)
def test_targets_are_finite_fractions_on_the_close_grid(name, panels):
    targets = run(name, panels)
    assert targets.index.equals(panels["close"].index)
    assert list(targets.columns) == list(panels["close"].columns)
    assert np.isfinite(targets.to_numpy()).all()
    assert ((targets >= -1) & (targets <= 1)).all().all()
    assert (targets >= 0).all().all(), "long-only by default"


@pytest.mark.parametrize("name", NAMES)
def test_changing_bars_after_t_leaves_targets_up_to_t_unchanged(name, panels):
    t = 420
    before = run(name, panels)
    rng = np.random.default_rng(99)
    future = {k: v.copy() for k, v in panels.items()}
    shock = np.exp(rng.normal(0, 0.2, future["close"].iloc[t + 1 :].shape))
    for field in ("open", "high", "low", "close"):
        future[field].iloc[t + 1 :] = future[field].iloc[t + 1 :].to_numpy() * shock
    after = run(name, future)
    pd.testing.assert_frame_equal(before.iloc[: t + 1], after.iloc[: t + 1])
    assert not before.iloc[t + 1 :].equals(after.iloc[t + 1 :]) or name == "xgboost_model"


@pytest.mark.parametrize("name", ["sma_crossover", "ema_crossover", "rsi_mean_reversion", "ts_momentum"])
def test_single_symbol_strategies_treat_columns_independently(name, panels):
    whole = run(name, panels)
    alone = run(name, {k: v[["BBB"]] for k, v in panels.items()})
    pd.testing.assert_series_equal(whole["BBB"], alone["BBB"])


def test_sma_crossover_is_long_exactly_when_fast_sma_is_above_slow(panels):
    close = panels["close"]
    targets = run("sma_crossover", panels)
    expected = (core.sma(close, 10) > core.sma(close, 50)).astype(float)
    pd.testing.assert_frame_equal(targets, expected)
    assert (targets.iloc[:49] == 0).all().all()


def test_sma_crossover_may_go_short_when_allowed(panels):
    params = registry.validate_params("sma_crossover", {"allow_short": True})
    targets = registry.get_strategy("sma_crossover").signals(panels, params)
    assert (targets.iloc[60:] != 0).all().all() and (targets < 0).any().any()


def test_rsi_mean_reversion_enters_below_lower_and_exits_above_exit_level():
    index = pd.date_range("2020-01-01", periods=60, freq="D", tz="UTC")
    prices = np.r_[np.linspace(100, 100.5, 20), np.linspace(100, 80, 15), np.linspace(81, 100, 25)]
    close = pd.DataFrame({"X": prices}, index=index)
    targets = run("rsi_mean_reversion", {"close": close})["X"]
    rsi = core.rsi(close, 14)["X"]
    entry = int(np.argmax((rsi < 30).to_numpy()))
    assert targets.iloc[entry] == 1 and (targets.iloc[:entry] == 0).all()
    exit_bar = entry + int(np.argmax((rsi.iloc[entry:] > 50).to_numpy()))
    assert (targets.iloc[entry:exit_bar] == 1).all() and targets.iloc[exit_bar] == 0


def test_bollinger_breakout_enters_above_upper_band_and_reversion_below_lower():
    index = pd.date_range("2020-01-01", periods=40, freq="D", tz="UTC")
    flat = 100 + 0.1 * np.sin(np.arange(30))
    up = pd.DataFrame({"X": np.r_[flat, np.full(10, 105.0)]}, index=index)
    down = pd.DataFrame({"X": np.r_[flat, np.full(10, 95.0)]}, index=index)
    assert run("bollinger_breakout", {"close": up})["X"].iloc[30] == 1
    assert run("bollinger_breakout", {"close": up})["X"].iloc[:30].eq(0).all()
    assert run("bollinger_reversion", {"close": down})["X"].iloc[30] == 1
    assert run("bollinger_reversion", {"close": up})["X"].eq(0).all()


def test_xs_momentum_holds_top_k_equal_weight_and_rebalances_on_schedule():
    panels = gbm_panels(200, ("A", "B", "C", "D", "E"), seed=3)
    targets = run("xs_momentum", panels)
    trailing = panels["close"] / panels["close"].shift(20) - 1
    assert (targets.sum(axis=1) <= 1 + 1e-12).all()
    for i in range(20, 200, 10):
        held = set(targets.columns[targets.iloc[i] > 0])
        assert held == set(trailing.iloc[i].nlargest(2).index)
        assert np.allclose(targets.iloc[i][list(held)], 0.5)
        assert targets.iloc[i : i + 10].eq(targets.iloc[i], axis=1).all().all()
    assert (targets.iloc[:20] == 0).all().all()
