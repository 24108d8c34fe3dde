"""Moving-average crossovers: long while the fast average is above the slow one."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field, model_validator

from quant.indicators import core
from quant.strategies.base import Panels, Strategy, StrategyParams
from quant.strategies.positions import sign_targets


class CrossoverParams(StrategyParams):
    """Periods in bars; fast must be shorter than slow."""

    fast: int = Field(10, ge=1, description="fast moving-average period, bars")
    slow: int = Field(50, ge=2, description="slow moving-average period, bars")
    allow_short: bool = Field(False, description="short (-1) while fast < slow")

    @model_validator(mode="after")
    def _fast_below_slow(self):
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be < slow ({self.slow})")
        return self


class EmaCrossoverParams(CrossoverParams):
    fast: int = Field(12, ge=1, description="fast EMA period, bars")
    slow: int = Field(26, ge=2, description="slow EMA period, bars")


class SmaCrossover(Strategy):
    name = "sma_crossover"
    description = "Long while SMA(fast) > SMA(slow); flat (or short) otherwise."
    aliases = ("sma", "sma crossover", "simple moving average", "moving average crossover", "moving average cross",
               "ma crossover", "ma cross", "golden cross", "trend following")
    Params: ClassVar = CrossoverParams

    @classmethod
    def signals(cls, data: Panels, params: CrossoverParams) -> pd.DataFrame:
        close = data["close"]
        return sign_targets(core.sma(close, params.fast) - core.sma(close, params.slow), params.allow_short)


class EmaCrossover(Strategy):
    name = "ema_crossover"
    description = "Long while EMA(fast) > EMA(slow); flat (or short) otherwise."
    # with its defaults (12/26) this is the MACD line crossing zero, so "a MACD strategy" means this one
    aliases = ("ema", "ema crossover", "exponential moving average", "macd", "macd crossover")
    Params: ClassVar = EmaCrossoverParams

    @classmethod
    def signals(cls, data: Panels, params: EmaCrossoverParams) -> pd.DataFrame:
        close = data["close"]
        return sign_targets(core.ema(close, params.fast) - core.ema(close, params.slow), params.allow_short)
