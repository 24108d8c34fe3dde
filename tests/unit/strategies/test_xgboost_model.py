"""xgboost model: interface, determinism, and walk-forward training without label leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from errors import ConfigError
from quant.strategies import registry
from quant.strategies.model import XGBoostModel
from quant.strategies.xgboost_model import XGBoostStrategy, walk_forward_plan


def toy_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    label = (x[:, 0] + 0.1 * rng.normal(size=n) > 0).astype(float)
    return pd.DataFrame({"signal": x[:, 0], "noise1": x[:, 1], "noise2": x[:, 2], "label": label})


def test_model_learns_the_informative_feature_and_explains_it_first():
    frame = toy_frame()
    model = XGBoostModel()
    artifact = model.fit(frame, {"n_estimators": 30})
    assert artifact.feature_names == ("signal", "noise1", "noise2") and artifact.n_train_rows == 400
    features = frame.drop(columns="label")
    accuracy = ((model.predict(features) > 0.5) == frame["label"].astype(bool)).mean()
    assert accuracy > 0.9
    assert model.explain(features).index[0] == "signal"


def test_fitting_twice_gives_identical_predictions():
    frame = toy_frame()
    features = frame.drop(columns="label")
    first = XGBoostModel()
    first.fit(frame, {"n_estimators": 20, "subsample": 0.7})
    second = XGBoostModel()
    second.fit(frame, {"n_estimators": 20, "subsample": 0.7})
    pd.testing.assert_series_equal(first.predict(features), second.predict(features))


def test_predicting_before_fit_is_config_error():
    with pytest.raises(ConfigError):
        XGBoostModel().predict(toy_frame().drop(columns="label"))


def test_walk_forward_plan_never_trains_on_labels_ending_after_the_retrain_bar():
    plan = walk_forward_plan(n_bars=1000, horizon=10, min_train_bars=252, retrain_every=63)
    assert plan[0].retrain_at == 252
    for step in plan:
        assert step.last_label_end <= step.retrain_at == step.predict_start
        assert step.last_train_row + 10 == step.last_label_end
    covered = np.concatenate([np.arange(s.predict_start, s.predict_stop) for s in plan])
    np.testing.assert_array_equal(covered, np.arange(252, 1000))


def test_strategy_targets_do_not_move_when_labels_beyond_the_retrain_bar_change(panels):
    params = registry.validate_params(
        "xgboost_model",
        {"min_train_bars": 200, "retrain_every": 50, "horizon": 5, "n_estimators": 10, "threshold": 0.5},
    )
    before = XGBoostStrategy.signals(panels, params)
    # change only closes after bar 300: the labels of rows 296..300 (horizon ends past 300) change
    shocked = {k: v.copy() for k, v in panels.items()}
    shocked["close"].iloc[301:] = shocked["close"].iloc[301:] * 1.5
    after = XGBoostStrategy.signals(shocked, params)
    pd.testing.assert_frame_equal(before.iloc[:301], after.iloc[:301])
    assert (before.iloc[:200] == 0).all().all()
    assert before.iloc[200:].to_numpy().any(), "the model takes some positions after the first fit"
