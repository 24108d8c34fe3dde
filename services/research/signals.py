"""A picklable signal function for a registered strategy (process pools and Ray need to pickle it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class StrategySignals:
    """``StrategySignals("sma_crossover")(panels, {"fast": 10, "slow": 50})`` → target fractions."""

    strategy: str

    def __call__(self, panels: Mapping[str, pd.DataFrame], params: Mapping[str, Any]) -> pd.DataFrame:
        from quant.strategies.registry import get_strategy, validate_params

        return get_strategy(self.strategy).signals(panels, validate_params(self.strategy, params))
