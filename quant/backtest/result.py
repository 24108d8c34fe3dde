"""``BacktestResult`` and the reproducibility hashes of a run (config and data)."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from quant.backtest.config import BacktestConfig
from quant.metrics.performance import PerformanceMetrics

TRADE_FRAME_COLUMNS = ("symbol", "entry_ts", "exit_ts", "direction", "quantity", "entry_price", "exit_price", "pnl",
                       "fees", "is_open")


def config_hash(config: BacktestConfig, params: dict[str, Any] | None = None) -> str:
    """sha256 of the canonical JSON of the config (and strategy params): same inputs, same hash."""
    payload = {"config": config.model_dump(mode="json"), "params": params or {}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def data_hash(*frames: pd.DataFrame | np.ndarray) -> str:
    """sha256 over the canonical bytes of frames/arrays: labels, int64 timestamps, float64 values."""
    digest = hashlib.sha256()
    for frame in frames:
        if isinstance(frame, pd.DataFrame):
            digest.update(json.dumps([str(c) for c in frame.columns]).encode())
            index = frame.index
            if isinstance(index, pd.DatetimeIndex):
                digest.update(np.ascontiguousarray(index.tz_convert("UTC").asi8 if index.tz else index.asi8).tobytes())
            else:
                digest.update(json.dumps([str(i) for i in index]).encode())
            values = frame.to_numpy(dtype=np.float64)
        else:
            values = np.asarray(frame, dtype=np.float64)
        digest.update(str(values.shape).encode())
        digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()


def _json_value(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return _json_value(value.item())
    return value


@dataclass(frozen=True)
class BacktestResult:
    """One backtest run.

    ``equity``: dollars per bar (index = ts; one column per symbol in per_symbol mode, a single
    ``portfolio`` column in portfolio mode). ``positions``: shares per bar and symbol. ``trades``:
    columns ``TRADE_FRAME_COLUMNS`` (pnl and fees in dollars; an open trade is marked at the last
    close with ``is_open``). ``metrics``: per symbol (or ``portfolio``). ``unfilled_orders``:
    orders decided on the last bar that could not fill. ``fill_convention``: per symbol.
    """

    run_id: str
    strategy_id: str
    created_at: datetime
    config: BacktestConfig
    config_hash: str
    data_hash: str
    params: dict[str, Any]
    equity: pd.DataFrame
    positions: pd.DataFrame
    trades: pd.DataFrame
    metrics: dict[str, PerformanceMetrics]
    unfilled_orders: dict[str, int]
    fees_paid: dict[str, float]
    fill_convention: dict[str, str]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> pd.Timestamp | None:
        return self.equity.index[0] if len(self.equity) else None

    @property
    def end(self) -> pd.Timestamp | None:
        return self.equity.index[-1] if len(self.equity) else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: equity as {column: [[iso ts, value], ...]}, trades as records."""
        trades = [{k: _json_value(v) for k, v in row.items()} for row in self.trades.to_dict("records")]
        return {
            "run_id": self.run_id,
            "strategy_id": self.strategy_id,
            "created_at": self.created_at.isoformat(),
            "config": self.config.model_dump(mode="json"),
            "config_hash": self.config_hash,
            "data_hash": self.data_hash,
            "params": {k: _json_value(v) for k, v in self.params.items()},
            "start": _json_value(self.start),
            "end": _json_value(self.end),
            "equity_curve": {str(c): [[ts.isoformat(), _json_value(float(v))] for ts, v in self.equity[c].items()]
                             for c in self.equity.columns},
            "trades": trades,
            "metrics": {k: m.to_dict() for k, m in self.metrics.items()},
            "unfilled_orders": dict(self.unfilled_orders),
            "fees_paid": {k: _json_value(v) for k, v in self.fees_paid.items()},
            "fill_convention": dict(self.fill_convention),
            "metadata": {k: _json_value(v) for k, v in self.metadata.items()},
        }
