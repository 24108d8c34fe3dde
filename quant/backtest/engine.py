"""``backtest``: run target positions over panels with the vectorized engine and package a
``BacktestResult`` (equity, trades with timestamps, metrics, unfilled orders, hashes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from quant.backtest.config import BacktestConfig
from quant.backtest.panels import PanelArrays, Panels, aligned_targets, panel_arrays, window_bounds
from quant.backtest.result import TRADE_FRAME_COLUMNS, BacktestResult, config_hash, data_hash
from quant.backtest.vectorized import VectorizedRun, run_vectorized
from quant.metrics.performance import compute_metrics


def trades_frame(run: VectorizedRun, index: pd.DatetimeIndex, symbols: tuple[str, ...], param: int = 0) -> pd.DataFrame:
    """Trades of parameter set ``param`` as a frame with timestamps (``TRADE_FRAME_COLUMNS``), each
    symbol's trades together in symbol order; built column by column (a walk-forward makes one per fold)."""
    kept = [(s, rec) for i, s in enumerate(symbols) if len(rec := run.trades.get((i, param), ()))]
    if not kept:
        frame = pd.DataFrame([], columns=list(TRADE_FRAME_COLUMNS))
    else:
        rec = np.concatenate([r for _, r in kept])
        is_open = rec[:, 1] < 0
        frame = pd.DataFrame({
            "symbol": np.repeat(np.array([s for s, _ in kept], dtype=object), [len(r) for _, r in kept]),
            "entry_ts": index[rec[:, 0].astype(np.int64)],
            "exit_ts": index[np.where(is_open, 0, rec[:, 1]).astype(np.int64)].where(~is_open),
            "direction": rec[:, 2].astype(np.int64), "quantity": rec[:, 3], "entry_price": rec[:, 4],
            "exit_price": rec[:, 5], "pnl": rec[:, 6], "fees": rec[:, 7], "is_open": is_open,
        })  # fmt: skip
    frame["exit_ts"] = pd.to_datetime(frame["exit_ts"], utc=True)
    frame["entry_ts"] = pd.to_datetime(frame["entry_ts"], utc=True)
    return frame


def backtest(panels: Panels, positions: pd.DataFrame, config: BacktestConfig | None = None, *,
             strategy_id: str = "", params: dict[str, Any] | None = None) -> BacktestResult:
    """Backtest target fractions ``positions`` (index = ts, columns = symbols, values in [-1, 1],
    decided at each bar's close) over ``panels``; ``config.start_date/end_date`` restrict the
    traded bars (earlier positions are warm-up only)."""
    config = config or BacktestConfig()
    arrays = panel_arrays(panels)
    targets = aligned_targets(positions, arrays)
    lo, hi = window_bounds(arrays.index, config.start_date, config.end_date)
    run = run_vectorized(arrays.open, arrays.close, targets, config, start=lo, end=hi)
    frames = [panels["close"]] + ([panels["open"]] if "open" in panels else []) + [positions]
    return package_result(run, arrays, config, data_hash(*frames), strategy_id=strategy_id, params=params,
                          engine="vectorized")


def package_result(run: VectorizedRun, arrays: PanelArrays, config: BacktestConfig, data_digest: str, *,
                   strategy_id: str = "", params: dict[str, Any] | None = None,
                   engine: str = "vectorized") -> BacktestResult:
    """A ``BacktestResult`` (frames with timestamps, metrics per symbol or portfolio) of a raw run."""
    lo, hi = run.start, run.end
    index = arrays.index[lo:hi]
    symbols = list(arrays.symbols)
    trades = trades_frame(run, arrays.index, arrays.symbols)
    pos = pd.DataFrame(run.positions[lo:hi, :, 0], index=index, columns=symbols)
    if run.capital_mode == "per_symbol":
        equity = pd.DataFrame(run.equity[lo:hi, :, 0], index=index, columns=symbols)
        metrics = {s: compute_metrics(equity[s], trades[trades.symbol == s], periods_per_year=config.periods_per_year,
                                      positions=pos[s].to_numpy(), traded_notional=float(run.stats[i, 0, 4]),
                                      initial_capital=config.initial_capital)
                   for i, s in enumerate(symbols)}
    else:
        equity = pd.DataFrame({"portfolio": run.equity[lo:hi, 0]}, index=index)
        metrics = {"portfolio": compute_metrics(equity["portfolio"], trades, periods_per_year=config.periods_per_year,
                                                positions=pos.abs().sum(axis=1).to_numpy(),
                                                traded_notional=float(run.stats[:, 0, 4].sum()),
                                                initial_capital=config.initial_capital)}
    return BacktestResult(
        run_id=str(uuid.uuid4()), strategy_id=strategy_id, created_at=datetime.now(UTC), config=config,
        config_hash=config_hash(config, params), data_hash=data_digest, params=dict(params or {}),
        equity=equity, positions=pos, trades=trades, metrics=metrics,
        unfilled_orders={s: int(run.stats[i, 0, 2]) for i, s in enumerate(symbols)},
        fees_paid={s: float(run.stats[i, 0, 1]) for i, s in enumerate(symbols)},
        fill_convention=dict(zip(symbols, run.fill_convention, strict=True)),
        metadata={"engine": engine, "bars": hi - lo, "capital_mode": run.capital_mode},
    )
