"""Monte Carlo resampling of a backtest: bootstrap of trade P&Ls and of daily returns.

Both produce, per simulated path, the final equity (currency), the maximum drawdown (percent of
the running peak, positive, 12.5 = -12.5 %) and the Sharpe ratio, summarised by percentiles
5/25/50/75/95, plus percentile bands of the equity curve for a fan chart. Paths are generated in
fixed-size chunks from one seeded ``numpy.random.Generator``, so a seed fixes every number.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from errors import ConfigError, DataError
from quant.research.montecarlo_kernels import simulate_paths

PERCENTILES: tuple[int, ...] = (5, 25, 50, 75, 95)
TRADING_DAYS_PER_YEAR = 252
_CHUNK_PATHS = 1000
_FAN_POINTS = 200


@dataclass(frozen=True)
class Percentiles:
    """Percentiles 5/25/50/75/95 and mean of one simulated statistic (None when undefined)."""

    p5: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    p95: float | None
    mean: float | None

    @classmethod
    def of(cls, values: np.ndarray) -> Percentiles:
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return cls(None, None, None, None, None, None)
        qs = np.percentile(finite, PERCENTILES)
        return cls(*(float(q) for q in qs), float(finite.mean()))


@dataclass(frozen=True)
class MonteCarloResult:
    """Distribution of outcomes over ``n_paths`` resampled paths of ``n_steps`` trades or days.

    ``fan`` maps "step" → sampled step numbers (0 = start) and "p5".."p95" → equity percentiles
    at those steps. ``sharpe`` is annualised for returns; per trade (not annualised) for trades.
    """

    method: str
    n_paths: int
    n_steps: int
    seed: int
    initial_equity: float
    final_equity: Percentiles
    max_drawdown_pct: Percentiles
    sharpe: Percentiles
    probability_of_loss: float
    fan: dict[str, list[float]]

    def to_dict(self) -> dict:
        return asdict(self)


def _check_runs(n_paths: int, n_steps: int) -> None:
    if n_paths < 1 or n_steps < 1:
        raise ConfigError(f"n_paths={n_paths} and n_steps={n_steps} must both be at least 1")


def _fan_steps(n_steps: int) -> np.ndarray:
    return np.unique(np.linspace(0, n_steps, min(_FAN_POINTS, n_steps + 1)).round().astype(np.int64))


def _summarise(method, n_paths, n_steps, seed, initial, finals, drawdowns, sharpes, fan_equity) -> MonteCarloResult:
    steps = _fan_steps(n_steps)
    bands = np.percentile(fan_equity, PERCENTILES, axis=0)
    fan = {"step": [int(s) for s in steps]} | {f"p{p}": bands[i].tolist() for i, p in enumerate(PERCENTILES)}
    return MonteCarloResult(
        method=method, n_paths=n_paths, n_steps=n_steps, seed=seed, initial_equity=initial,
        final_equity=Percentiles.of(finals), max_drawdown_pct=Percentiles.of(drawdowns),
        sharpe=Percentiles.of(sharpes), probability_of_loss=float((finals < initial).mean()), fan=fan,
    )  # fmt: skip


def _simulate(method, values, *, compound, initial, n_paths, n_steps, mean_block, seed, scale) -> MonteCarloResult:
    rng = np.random.default_rng(seed)
    steps = _fan_steps(n_steps)
    finals, drawdowns, sharpes = (np.empty(n_paths) for _ in range(3))
    fan_equity = np.empty((n_paths, steps.size))
    for start in range(0, n_paths, _CHUNK_PATHS):
        rows = slice(start, min(start + _CHUNK_PATHS, n_paths))
        uniforms = rng.random((rows.stop - rows.start, n_steps))
        simulate_paths(
            values, uniforms, 1.0 / mean_block, compound, float(initial), steps,
            finals[rows], drawdowns[rows], sharpes[rows], fan_equity[rows],
        )  # fmt: skip
    drawdowns_pct, sharpes = 100.0 * drawdowns, sharpes * scale
    return _summarise(method, n_paths, n_steps, seed, float(initial), finals, drawdowns_pct, sharpes, fan_equity)


def bootstrap_trades(
    trade_pnls, *, initial_equity: float, n_paths: int = 10_000, n_trades: int | None = None, seed: int = 0
) -> MonteCarloResult:
    """Resample trade P&Ls (currency) with replacement into ``n_paths`` sequences of ``n_trades``.

    Each path starts at ``initial_equity``; its Sharpe is mean/std of per-trade returns
    (P&L / equity before the trade), not annualised.
    """
    pnls = np.ascontiguousarray(pd.Series(trade_pnls, dtype="float64").to_numpy())
    if pnls.size == 0 or not np.isfinite(pnls).all():
        raise DataError("trade_pnls must be a non-empty sequence of finite P&L amounts")
    if not initial_equity > 0:
        raise ConfigError(f"initial_equity must be positive, got {initial_equity}")
    n_steps = int(n_trades or pnls.size)
    _check_runs(n_paths, n_steps)
    return _simulate(
        "trades", pnls, compound=False, initial=initial_equity, n_paths=n_paths, n_steps=n_steps,
        mean_block=1.0, seed=seed, scale=1.0,
    )  # fmt: skip


def bootstrap_returns(
    daily_returns,
    *,
    initial_equity: float = 1.0,
    n_paths: int = 10_000,
    n_days: int | None = None,
    mean_block_days: float = 20.0,
    seed: int = 0,
) -> MonteCarloResult:
    """Stationary block bootstrap of simple daily returns (fractions) into ``n_paths`` paths of ``n_days``.

    Politis-Romano blocks of geometric length with mean ``mean_block_days`` (1 = i.i.d.) keep
    short-range autocorrelation and volatility clustering. Sharpe is annualised with 252 days.
    """
    returns = np.ascontiguousarray(pd.Series(daily_returns, dtype="float64").dropna().to_numpy())
    if returns.size == 0 or not np.isfinite(returns).all() or (returns <= -1).any():
        raise DataError("daily_returns must be non-empty, finite and greater than -1 (a -100 % day)")
    if not initial_equity > 0 or mean_block_days < 1:
        raise ConfigError(f"initial_equity ({initial_equity}) must be > 0 and mean_block_days ({mean_block_days}) >= 1")
    n_steps = int(n_days or returns.size)
    _check_runs(n_paths, n_steps)
    return _simulate(
        "returns", returns, compound=True, initial=initial_equity, n_paths=n_paths, n_steps=n_steps,
        mean_block=float(mean_block_days), seed=seed, scale=math.sqrt(TRADING_DAYS_PER_YEAR),
    )  # fmt: skip
