"""Bollinger-band strategies: fade moves outside the bands, or follow breakouts."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import Field

from quant.indicators import core
from quant.strategies.base import Panels, Strategy, StrategyParams
from quant.strategies.positions import latch


class BollingerParams(StrategyParams):
    length: int = Field(20, ge=2, description="band period, bars")
    std_mult: float = Field(2.0, gt=0, description="band half-width in standard deviations")


class BollingerReversion(Strategy):
    name = "bollinger_reversion"
    aliases = ("bollinger", "bollinger bands", "bollinger band", "bollinger mean reversion", "band reversion")
    description = "Long when close < lower band, exit when close >= middle band."
    Params: ClassVar = BollingerParams

    @classmethod
    def signals(cls, data: Panels, params: BollingerParams) -> pd.DataFrame:
        close = data["close"]
        bands = core.bollinger_bands(close, params.length, params.std_mult)
        return latch(close < bands.lower, close >= bands.mid)


class BollingerBreakout(Strategy):
    name = "bollinger_breakout"
    aliases = ("breakout", "bollinger breakout", "band breakout", "volatility breakout")
    description = "Long when close > upper band, exit when close < middle band."
    Params: ClassVar = BollingerParams

    @classmethod
    def signals(cls, data: Panels, params: BollingerParams) -> pd.DataFrame:
        close = data["close"]
        bands = core.bollinger_bands(close, params.length, params.std_mult)
        return latch(close > bands.upper, close < bands.mid)
