"""Per-bar size scale for each sizing rule of ``BacktestConfig`` (a multiplier on the target
fraction, evaluated at the signal bar with data up to that bar only)."""

from __future__ import annotations

import numpy as np

from quant.backtest.config import BacktestConfig


def size_scale(close: np.ndarray, config: BacktestConfig) -> np.ndarray:
    """Array shaped like ``close`` (n_bars × n_symbols): the fraction of equity a target of 1.0 means.

    volatility_target: ``target_volatility / sigma_t`` with sigma_t the annualised standard
    deviation of the last ``volatility_lookback_bars`` log returns up to bar t, capped at
    ``max_leverage``; bars without enough history use ``max_leverage``.
    """
    close = np.asarray(close, dtype=np.float64)
    if config.sizing == "all_in":
        return np.full(close.shape, config.max_leverage)
    if config.sizing == "fixed_fraction":
        return np.full(close.shape, min(config.fixed_fraction, config.max_leverage))
    if config.sizing == "risk_per_trade":
        return np.full(close.shape, min(config.risk_fraction / config.stop_loss_fraction, config.max_leverage))
    n = close.shape[0]
    log_ret = np.full(close.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_ret[1:] = np.log(close[1:] / close[:-1])
    window = config.volatility_lookback_bars
    sigma = np.full(close.shape, np.nan)
    if n > window:
        windows = np.lib.stride_tricks.sliding_window_view(log_ret[1:], window, axis=0)  # (n-window, s, window)
        sigma[window:] = windows.std(axis=-1, ddof=1) * np.sqrt(config.periods_per_year)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = config.target_volatility / sigma
    scale = np.where(np.isfinite(scale), np.minimum(scale, config.max_leverage), config.max_leverage)
    return scale


def size_scale_rows(close_rows: np.ndarray, config: BacktestConfig) -> np.ndarray:
    """``size_scale`` for symbol-major closes (n_symbols × n_bars), returned in that layout."""
    if config.sizing == "volatility_target":
        return np.ascontiguousarray(size_scale(close_rows.T, config).T)
    return np.full(close_rows.shape, size_scale(close_rows[:, :1].T, config)[0, 0] if close_rows.size else 1.0)
