"""A gradient-boosted classifier of the forward-return sign, retrained walk-forward.

At each retrain bar r (first at ``min_train_bars``, then every ``retrain_every`` bars) the model
is fitted on every (bar t, symbol) row whose label is already known at r's close, i.e.
t + horizon <= r, pooling symbols; it then predicts bars r .. r+retrain_every-1. A position is
long (1) where the predicted probability of a positive ``horizon``-bar return exceeds
``threshold``; 0 before the first retrain. No label whose horizon ends after bar r is used
for a prediction at or after r (``walk_forward_plan`` states it; tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from quant.features.features import FeaturePipeline
from quant.strategies.base import Panels, Strategy, StrategyParams
from quant.strategies.model import XGBoostModel


class XGBoostParams(StrategyParams):
    horizon: int = Field(5, ge=1, description="label horizon, bars")
    retrain_every: int = Field(63, ge=1, description="bars between retrains")
    min_train_bars: int = Field(252, ge=2, description="bars before the first fit")
    threshold: float = Field(0.55, gt=0, lt=1, description="long when P(up) > threshold")
    n_estimators: int = Field(50, ge=1, le=2000)
    max_depth: int = Field(3, ge=1, le=12)
    learning_rate: float = Field(0.1, gt=0, le=1)
    seed: int = Field(7, ge=0)

    @model_validator(mode="after")
    def _horizon_fits(self):
        if self.horizon >= self.min_train_bars:
            raise ValueError(f"horizon ({self.horizon}) must be < min_train_bars ({self.min_train_bars})")
        return self


@dataclass(frozen=True)
class RetrainStep:
    """One fit: at bar ``retrain_at``, on rows t <= ``last_train_row`` whose labels end at or
    before ``last_label_end`` (<= retrain_at), predicting bars [predict_start, predict_stop)."""

    retrain_at: int
    last_train_row: int
    last_label_end: int
    predict_start: int
    predict_stop: int


def walk_forward_plan(n_bars: int, horizon: int, min_train_bars: int, retrain_every: int) -> list[RetrainStep]:
    """The expanding-window retrain schedule over ``n_bars`` bars (positions, not timestamps)."""
    steps = []
    for r in range(min_train_bars, n_bars, retrain_every):
        last_row = r - horizon
        steps.append(RetrainStep(r, last_row, last_row + horizon, r, min(r + retrain_every, n_bars)))
    return steps


class XGBoostStrategy(Strategy):
    name = "xgboost_model"
    aliases = ("xgboost", "xgb", "machine learning", "ml model", "ml", "gradient boosting", "boosted trees")
    description = (
        "xgboost classifier of the horizon-bar return sign, expanding-window retrain, long when P(up) > threshold."
    )
    Params: ClassVar = XGBoostParams
    pipeline: ClassVar[FeaturePipeline] = FeaturePipeline(
        return_periods=(1, 5), volatility_windows=(20,), momentum_lookbacks=(20, 60), correlation_window=60
    )

    @classmethod
    def feature_cube(cls, data: Panels) -> tuple[list[str], np.ndarray]:
        """Feature names and a (bars × symbols × features) array; values at t use bars <= t."""
        panels = cls.pipeline.from_price_panels(data["close"], data.get("high"), data.get("low"))
        names = sorted(panels)
        return names, np.stack([panels[k].to_numpy(dtype=float) for k in names], axis=2)

    @classmethod
    def signals(cls, data: Panels, params: XGBoostParams) -> pd.DataFrame:
        close = data["close"]
        names, cube = cls.feature_cube(data)
        values = close.to_numpy(dtype=float)
        n, m = values.shape
        out = np.zeros((n, m))
        fit_params = {
            "n_estimators": params.n_estimators,
            "max_depth": params.max_depth,
            "eta": params.learning_rate,
            "seed": params.seed,
        }
        for step in walk_forward_plan(n, params.horizon, params.min_train_bars, params.retrain_every):
            rows = slice(0, step.last_train_row + 1)
            ends = slice(params.horizon, step.last_label_end + 1)
            fwd = values[ends] / values[rows] - 1.0  # label of row t reads close[t + horizon] <= close[r]
            label = np.where(np.isnan(fwd), np.nan, (fwd > 0).astype(float)).reshape(-1)
            train = pd.DataFrame(cube[rows].reshape(-1, len(names)), columns=names)
            train["label"] = label
            train = train[train["label"].notna()]
            if train["label"].nunique() < 2:
                continue
            model = XGBoostModel()
            model.fit(train, fit_params)
            block = slice(step.predict_start, step.predict_stop)
            features = pd.DataFrame(cube[block].reshape(-1, len(names)), columns=names)
            prob = model.predict(features).to_numpy().reshape(-1, m)
            out[block] = (prob > params.threshold).astype(float)
        return pd.DataFrame(out, index=close.index, columns=close.columns)
