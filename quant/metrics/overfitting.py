"""Overfitting statistics for strategy selection.

- ``probabilistic_sharpe_ratio`` / ``deflated_sharpe_ratio``: Bailey & López de Prado (2014),
  "The Deflated Sharpe Ratio": the probability that the true Sharpe exceeds a benchmark, given
  the sample length, skewness and kurtosis; deflated by the expected maximum Sharpe of
  ``n_trials`` independent unskilled trials.
- ``probability_of_backtest_overfitting``: Bailey, Borwein, López de Prado & Zhu (2015), CSCV:
  the share of combinatorial in-sample/out-of-sample splits in which the in-sample best strategy
  ranks at or below the out-of-sample median.
Sharpe ratios here are per period (not annualised), as in the papers.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from errors import ConfigError

EULER_GAMMA = 0.5772156649015329


def probabilistic_sharpe_ratio(sharpe: float, benchmark_sharpe: float, n_obs: int, skew: float = 0.0,
                               kurtosis: float = 3.0) -> float:
    """P(true SR > benchmark) for a per-period ``sharpe`` from ``n_obs`` returns with the given
    skewness and (non-excess) kurtosis."""
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n_obs < 2 or denom <= 0:
        return math.nan
    return float(stats.norm.cdf((sharpe - benchmark_sharpe) * math.sqrt(n_obs - 1) / math.sqrt(denom)))


def expected_max_sharpe(sharpe_variance: float, n_trials: int) -> float:
    """E[max SR] of ``n_trials`` unskilled trials whose Sharpe ratios have variance ``sharpe_variance``."""
    if n_trials < 1:
        raise ConfigError("n_trials must be >= 1", details={"field": "n_trials"})
    if n_trials == 1:
        return 0.0
    z1 = stats.norm.ppf(1.0 - 1.0 / n_trials)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(math.sqrt(sharpe_variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


@dataclass(frozen=True)
class DeflatedSharpe:
    """``probability``: the deflated Sharpe ratio (a probability in [0, 1]); ``sharpe`` and
    ``expected_max_sharpe`` per period; ``n_obs``, ``skew``, ``kurtosis`` of the returns."""

    probability: float
    sharpe: float
    expected_max_sharpe: float
    n_trials: int
    n_obs: int
    skew: float
    kurtosis: float


def deflated_sharpe_ratio(returns: np.ndarray, *, n_trials: int, trial_sharpes: np.ndarray | None = None,
                          sharpe_variance: float | None = None) -> DeflatedSharpe:
    """Deflated Sharpe ratio of the selected strategy's per-period ``returns`` after ``n_trials``
    trials; the variance of the trials' Sharpe ratios comes from ``trial_sharpes`` (per period)
    or ``sharpe_variance``."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size < 3:
        raise ConfigError("need at least 3 returns", details={"field": "returns", "n": int(r.size)})
    if sharpe_variance is None:
        if trial_sharpes is None:
            raise ConfigError("give trial_sharpes or sharpe_variance", details={"field": "trial_sharpes"})
        sharpe_variance = float(np.var(np.asarray(trial_sharpes, dtype=np.float64), ddof=1))
    sd = r.std(ddof=1)
    sharpe = float(r.mean() / sd) if sd > 0 else math.nan
    skew = float(stats.skew(r))
    kurt = float(stats.kurtosis(r, fisher=False))
    sr0 = expected_max_sharpe(sharpe_variance, n_trials)
    return DeflatedSharpe(probability=probabilistic_sharpe_ratio(sharpe, sr0, r.size, skew, kurt), sharpe=sharpe,
                          expected_max_sharpe=sr0, n_trials=n_trials, n_obs=int(r.size), skew=skew, kurtosis=kurt)


@dataclass(frozen=True)
class OverfittingResult:
    """``pbo``: share of splits whose in-sample winner has out-of-sample logit <= 0; ``logits``:
    one per split; ``n_splits``: combinations evaluated."""

    pbo: float
    logits: np.ndarray
    n_splits: int


def _sharpe_columns(block: np.ndarray) -> np.ndarray:
    sd = block.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sd > 0, block.mean(axis=0) / sd, -np.inf)


def probability_of_backtest_overfitting(returns: np.ndarray, n_blocks: int = 16) -> OverfittingResult:
    """CSCV over a (T × N) matrix of per-period strategy returns: rows cut into ``n_blocks`` (even)
    contiguous blocks; every choice of half the blocks is in-sample, the rest out-of-sample;
    performance is the per-period Sharpe ratio."""
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ConfigError("returns must be a (T x N) matrix with N >= 2 strategies", details={"field": "returns"})
    if n_blocks < 2 or n_blocks % 2:
        raise ConfigError("n_blocks must be an even number >= 2", details={"field": "n_blocks"})
    if m.shape[0] < 2 * n_blocks:
        raise ConfigError("too few rows for n_blocks", details={"field": "n_blocks", "rows": m.shape[0]})
    blocks = np.array_split(np.arange(m.shape[0]), n_blocks)
    n = m.shape[1]
    logits = []
    for train in itertools.combinations(range(n_blocks), n_blocks // 2):
        test = [b for b in range(n_blocks) if b not in train]
        is_perf = _sharpe_columns(m[np.concatenate([blocks[b] for b in train])])
        oos_perf = _sharpe_columns(m[np.concatenate([blocks[b] for b in test])])
        best = int(np.argmax(is_perf))
        rank = stats.rankdata(oos_perf)[best]  # 1 = worst out of sample
        omega = rank / (n + 1.0)
        logits.append(math.log(omega / (1.0 - omega)))
    logits_a = np.array(logits)
    return OverfittingResult(pbo=float(np.mean(logits_a <= 0.0)), logits=logits_a, n_splits=len(logits))
