"""RSI mean reversion: buy oversold, exit once RSI recovers."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field, model_validator

from quant.indicators import core
from quant.strategies.base import Panels, Strategy, StrategyParams
from quant.strategies.positions import latch


class RsiMeanReversionParams(StrategyParams):
    length: int = Field(14, ge=1, description="RSI period, bars")
    lower: float = Field(30.0, gt=0, lt=100, description="enter long when RSI < lower")
    exit: float = Field(50.0, gt=0, lt=100, description="exit when RSI > exit")

    @model_validator(mode="after")
    def _lower_below_exit(self):
        if self.lower >= self.exit:
            raise ValueError(f"lower ({self.lower}) must be < exit ({self.exit})")
        return self


class RsiMeanReversion(Strategy):
    name = "rsi_mean_reversion"
    aliases = ("rsi", "rsi mean reversion", "rsi reversion", "mean reversion", "oversold", "relative strength index")
    description = "Long when RSI(length) < lower, held until RSI > exit."
    Params: ClassVar = RsiMeanReversionParams

    @classmethod
    def signals(cls, data: Panels, params: RsiMeanReversionParams) -> pd.DataFrame:
        rsi = core.rsi(data["close"], params.length)
        return latch(rsi < params.lower, rsi > params.exit)
