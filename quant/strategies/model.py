"""The seed's ``TradingModel`` interface and its xgboost implementation.

A model maps a feature frame (rows = observations, columns = features) to predictions
(probability that the label is 1) and explains them with mean |SHAP| contributions.
Training is deterministic: one thread, fixed seed, histogram trees.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from errors import ConfigError, DataError


@dataclass(frozen=True)
class ModelArtifact:
    """A fitted model: the booster, the feature order it expects, its parameters and size."""

    booster: Any
    feature_names: tuple[str, ...]
    params: Mapping[str, Any]
    n_train_rows: int


class TradingModel(ABC):
    """fit(train_frame, params) -> ModelArtifact; predict(features) -> Series; explain(features) -> Series."""

    @abstractmethod
    def fit(self, train_frame: pd.DataFrame, params: Mapping[str, Any]) -> ModelArtifact: ...

    @abstractmethod
    def predict(self, features: pd.DataFrame) -> pd.Series: ...

    @abstractmethod
    def explain(self, features: pd.DataFrame) -> pd.Series: ...


DEFAULT_XGB_PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "max_depth": 3,
    "eta": 0.1,
    "subsample": 1.0,
    "tree_method": "hist",
    "nthread": 1,
    "seed": 7,
    "verbosity": 0,
}


class XGBoostModel(TradingModel):
    """Binary classifier on a train frame with a ``label`` column (0/1) plus feature columns."""

    label_column = "label"

    def __init__(self) -> None:
        self.artifact: ModelArtifact | None = None

    def fit(self, train_frame: pd.DataFrame, params: Mapping[str, Any] | None = None) -> ModelArtifact:
        import xgboost as xgb

        if self.label_column not in train_frame.columns:
            raise DataError(f"train frame lacks the {self.label_column!r} column")
        train = train_frame[train_frame[self.label_column].notna()]
        if train.empty:
            raise DataError("train frame has no labelled rows")
        labels = train[self.label_column].to_numpy(dtype=float)
        if not np.isin(labels, (0.0, 1.0)).all():
            raise DataError("labels must be 0 or 1", details={"field": self.label_column})
        params = dict(params or {})
        rounds = int(params.pop("n_estimators", 100))
        if rounds < 1:
            raise ConfigError(f"n_estimators must be >= 1, got {rounds}", details={"field": "n_estimators"})
        booster_params = {**DEFAULT_XGB_PARAMS, **params, "nthread": 1}
        features = train.drop(columns=[self.label_column])
        dtrain = xgb.DMatrix(features.to_numpy(dtype=float), label=labels, feature_names=list(features.columns))
        booster = xgb.train(booster_params, dtrain, num_boost_round=rounds)
        self.artifact = ModelArtifact(booster, tuple(features.columns), booster_params, len(train))
        return self.artifact

    def _matrix(self, features: pd.DataFrame):
        import xgboost as xgb

        if self.artifact is None:
            raise ConfigError("model is not fitted; call fit first")
        missing = [c for c in self.artifact.feature_names if c not in features.columns]
        if missing:
            raise DataError(f"features lack columns {missing}", details={"missing": missing})
        values = features.loc[:, list(self.artifact.feature_names)].to_numpy(dtype=float)
        return xgb.DMatrix(values, feature_names=list(self.artifact.feature_names))

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Probability that the label is 1, per row (index of ``features``)."""
        if features.empty:
            return pd.Series(dtype=float, index=features.index)
        return pd.Series(self.artifact_booster().predict(self._matrix(features)), index=features.index)

    def explain(self, features: pd.DataFrame) -> pd.Series:
        """Mean |SHAP| contribution of each feature over ``features`` (log-odds units), descending."""
        contribs = self.artifact_booster().predict(self._matrix(features), pred_contribs=True)
        importance = np.abs(contribs[:, :-1]).mean(axis=0)  # last column is the bias
        return pd.Series(importance, index=list(self.artifact.feature_names)).sort_values(ascending=False)

    def artifact_booster(self):
        if self.artifact is None:
            raise ConfigError("model is not fitted; call fit first")
        return self.artifact.booster
