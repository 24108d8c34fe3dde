"""Momentum: time-series (each symbol against its own past) and cross-sectional rotation."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from quant.features.features import momentum
from quant.strategies.base import Panels, Strategy, StrategyParams
from quant.strategies.positions import sign_targets


class TsMomentumParams(StrategyParams):
    lookback: int = Field(60, ge=1, description="trailing return window, bars")
    threshold: float = Field(0.0, ge=0, description="|trailing return| needed to take a position")
    allow_short: bool = Field(False, description="short when the trailing return < -threshold")


class TsMomentum(Strategy):
    name = "ts_momentum"
    aliases = ("momentum", "time series momentum", "time-series momentum", "absolute momentum")
    description = "Long when the trailing return over lookback bars exceeds threshold."
    Params: ClassVar = TsMomentumParams

    @classmethod
    def signals(cls, data: Panels, params: TsMomentumParams) -> pd.DataFrame:
        ret = momentum(data["close"], params.lookback)
        score = ret.where(ret.abs() > params.threshold, 0.0)
        return sign_targets(score, params.allow_short)


class XsMomentumParams(StrategyParams):
    lookback: int = Field(60, ge=1, description="trailing return window, bars")
    top_k: int = Field(3, ge=1, description="number of symbols held")
    rebalance_every: int = Field(20, ge=1, description="bars between rebalances")
    positive_only: bool = Field(False, description="hold only symbols with a trailing return > 0")


class XsMomentum(Strategy):
    name = "xs_momentum"
    aliases = ("cross sectional momentum", "cross-sectional momentum", "relative momentum", "relative strength",
               "rotation", "momentum rotation", "top k momentum")
    description = (
        "Every rebalance_every bars, hold the top_k symbols by trailing return with weight 1/top_k "
        "each (rows sum to <= 1); ties break by column order."
    )
    Params: ClassVar = XsMomentumParams

    @classmethod
    def signals(cls, data: Panels, params: XsMomentumParams) -> pd.DataFrame:
        close = data["close"]
        ret = momentum(close, params.lookback).to_numpy()
        out = np.zeros(ret.shape)
        weights = np.zeros(ret.shape[1])
        first = params.lookback  # first bar with any trailing return
        for i in range(ret.shape[0]):
            if i >= first and (i - first) % params.rebalance_every == 0:
                weights = np.zeros(ret.shape[1])
                row = ret[i]
                valid = np.flatnonzero(~np.isnan(row) & ((row > 0) if params.positive_only else True))
                ranked = valid[np.argsort(-row[valid], kind="stable")][: params.top_k]
                weights[ranked] = 1.0 / params.top_k
            out[i] = weights
        return pd.DataFrame(out, index=close.index, columns=close.columns)
