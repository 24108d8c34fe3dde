"""What a paper run reports, and the per-bar prices and stop distances its sizing reads (from the history it
replays, vectorized once: the risk policy still decides each order on its own reads)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class PaperRunReport:
    """What a run did: bars replayed, orders sent (by final status), refusals by code, equity (dollars), where the
    account's clock stands, and why it stopped early (with how to lift the halt that stopped it)."""

    strategy_id: str
    symbols: tuple[str, ...]
    account_id: str
    bars: int = 0
    orders: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)
    first_refusal: str = ""
    start_equity_usd: Decimal = Decimal(0)
    end_equity_usd: Decimal = Decimal(0)
    end_ts: datetime | None = None
    stopped: str = ""
    release: str = ""
    costs: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"strategy_id": self.strategy_id, "symbols": list(self.symbols), "account_id": self.account_id,
                "bars": self.bars, "orders": dict(self.orders), "refusals": dict(self.refusals),
                "first_refusal": self.first_refusal, "start_equity_usd": str(self.start_equity_usd),
                "end_equity_usd": str(self.end_equity_usd),
                "clock": self.end_ts.isoformat() if self.end_ts else None, "stopped": self.stopped,
                "release": self.release, "costs": dict(self.costs)}


@dataclass(frozen=True)
class SizingInputs:
    """Per symbol and bar: the close (dollars) and a 2 x ATR(14) stop distance (dollars; mean absolute close
    change for closes-only data), both from bars at or before that bar."""

    close: pd.DataFrame
    stop: pd.DataFrame

    def at(self, symbol: str, ts: pd.Timestamp) -> tuple[Decimal | None, Decimal | None]:
        if symbol not in self.close.columns:
            return None, None
        price, stop = self.close.at[ts, symbol], self.stop.at[ts, symbol]
        return (None if pd.isna(price) else Decimal(repr(float(price))),
                None if pd.isna(stop) or stop <= 0 else Decimal(repr(round(float(stop), 6))))


def sizing_inputs(history: pd.DataFrame) -> SizingInputs:
    """The sizing inputs of a canonical bar frame (carried forward over a symbol's missing bars)."""
    frame = history.sort_values(["symbol", "ts"])
    prev = frame.groupby("symbol")["close"].shift(1)
    ranges = np.fmax(frame["high"] - frame["low"], np.fmax((frame["high"] - prev).abs(), (frame["low"] - prev).abs()))
    true_range = ranges.where(frame["high"].notna(), (frame["close"] - prev).abs())
    atr = true_range.groupby(frame["symbol"]).transform(lambda s: s.rolling(14, min_periods=1).mean())
    wide = frame.assign(stop=2 * atr).pivot(index="ts", columns="symbol", values=["close", "stop"]).sort_index().ffill()
    return SizingInputs(wide["close"], wide["stop"])
