"""Overfitting statistics for strategy selection.

- ``probabilistic_sharpe_ratio`` / ``deflated_sharpe_ratio``: Bailey & López de Prado (2014),
  "The Deflated Sharpe Ratio": the probability that the true Sharpe exceeds a benchmark, given
  the sample length, skewness and kurtosis; deflated by the expected maximum Sharpe of
  ``n_trials`` independent unskilled trials.
- ``probability_of_backtest_overfitting``: Bailey, Borwein, López de Prado & Zhu (2015), CSCV:
  the share of combinatorial in-sample/out-of-sample splits in which the in-sample best strategy
  ranks at or below the out-of-sample median.
- ``assess_overfitting``: both for a parameter search, as an ``OverfittingReport`` (what grid and
  walk-forward results carry): the selected set's deflated Sharpe over all N trials and the PBO
  of the (T × N) per-period return matrix, with a one-line ``verdict()``.
Sharpe ratios here are per period (not annualised), as in the papers. CSCV is computed from
per-block sums, so C(16, 8) = 12,870 splits of a 2,500 × 174 matrix take well under a second.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from errors import ConfigError

EULER_GAMMA = 0.5772156649015329


def _stats():
    """scipy.stats, imported on first use: it costs ~0.8 s and ~60 MB, and every grid imports this module."""
    from scipy import stats

    return stats


def probabilistic_sharpe_ratio(sharpe: float, benchmark_sharpe: float, n_obs: int, skew: float = 0.0,
                               kurtosis: float = 3.0) -> float:
    """P(true SR > benchmark) for a per-period ``sharpe`` from ``n_obs`` returns with the given
    skewness and (non-excess) kurtosis."""
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n_obs < 2 or denom <= 0:
        return math.nan
    return float(_stats().norm.cdf((sharpe - benchmark_sharpe) * math.sqrt(n_obs - 1) / math.sqrt(denom)))


def expected_max_sharpe(sharpe_variance: float, n_trials: int) -> float:
    """E[max SR] of ``n_trials`` unskilled trials whose Sharpe ratios have variance ``sharpe_variance``."""
    if n_trials < 1:
        raise ConfigError("n_trials must be >= 1", details={"field": "n_trials"})
    if n_trials == 1:
        return 0.0
    z1 = _stats().norm.ppf(1.0 - 1.0 / n_trials)
    z2 = _stats().norm.ppf(1.0 - 1.0 / (n_trials * math.e))
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
    skew = float(_stats().skew(r))
    kurt = float(_stats().kurtosis(r, fisher=False))
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


def _sharpe_from_sums(n: np.ndarray, total: np.ndarray, total_sq: np.ndarray) -> np.ndarray:
    """Per-period Sharpe (ddof=1) of columns from their counts, sums and sums of squares; -inf
    where the variance is zero (a strategy that never moved cannot be ranked above one that did)."""
    mean = total / n
    var = (total_sq - total * mean) / (n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 1e-30, mean / np.sqrt(np.maximum(var, 1e-300)), -np.inf)


_SPLITS_PER_BATCH = 2048


def probability_of_backtest_overfitting(returns: np.ndarray, n_blocks: int = 16) -> OverfittingResult:
    """CSCV over a (T × N) matrix of per-period strategy returns: rows cut into ``n_blocks`` (even)
    contiguous blocks; every choice of half the blocks is in-sample, the rest out-of-sample;
    performance is the per-period Sharpe ratio. Ties: the first strategy wins in-sample and
    out-of-sample ranks are averaged (``scipy.stats.rankdata``)."""
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ConfigError("returns must be a (T x N) matrix with N >= 2 strategies", details={"field": "returns"})
    if n_blocks < 2 or n_blocks % 2:
        raise ConfigError("n_blocks must be an even number >= 2", details={"field": "n_blocks"})
    if m.shape[0] < 2 * n_blocks:
        raise ConfigError("too few rows for n_blocks", details={"field": "n_blocks", "rows": m.shape[0]})
    blocks = np.array_split(np.arange(m.shape[0]), n_blocks)
    # per-block sums make each split's Sharpe ratios two matrix products instead of a pass over the rows
    counts = np.array([len(b) for b in blocks], dtype=np.float64)
    sums = np.stack([m[b].sum(axis=0) for b in blocks])
    squares = np.stack([(m[b] ** 2).sum(axis=0) for b in blocks])
    n = m.shape[1]
    splits = np.array(list(itertools.combinations(range(n_blocks), n_blocks // 2)), dtype=np.int64)
    logits = np.empty(len(splits))
    for lo in range(0, len(splits), _SPLITS_PER_BATCH):
        chosen = splits[lo:lo + _SPLITS_PER_BATCH]
        train = np.zeros((len(chosen), n_blocks))
        np.put_along_axis(train, chosen, 1.0, axis=1)
        test = 1.0 - train
        is_perf = _sharpe_from_sums((train @ counts)[:, None], train @ sums, train @ squares)
        oos_perf = _sharpe_from_sums((test @ counts)[:, None], test @ sums, test @ squares)
        best = np.argmax(is_perf, axis=1)
        best_oos = oos_perf[np.arange(len(chosen)), best][:, None]
        rank = (oos_perf < best_oos).sum(axis=1) + ((oos_perf == best_oos).sum(axis=1) + 1) / 2.0  # 1 = worst
        omega = rank / (n + 1.0)
        logits[lo:lo + len(chosen)] = np.log(omega / (1.0 - omega))
    return OverfittingResult(pbo=float(np.mean(logits <= 0.0)), logits=logits, n_splits=len(logits))


MIN_ROWS_PER_BLOCK = 8


def cscv_blocks(n_rows: int, max_blocks: int = 16) -> int:
    """The CSCV block count for ``n_rows`` returns: ``max_blocks`` (even) when every block gets at
    least ``MIN_ROWS_PER_BLOCK`` rows, else the largest even count that does; 0 if not even 2 fit."""
    blocks = min(max_blocks, n_rows // MIN_ROWS_PER_BLOCK)
    blocks -= blocks % 2
    return blocks if blocks >= 2 else 0


@dataclass(frozen=True)
class OverfittingReport:
    """"Is this result luck?" for a search over ``n_trials`` parameter sets.

    ``deflated_sharpe``: probability that the selected set's true Sharpe exceeds the best of
    ``n_trials`` unskilled trials (Bailey & López de Prado); ``sharpe`` / ``expected_max_sharpe`` /
    ``sharpe_variance`` are per period (not annualised); ``pbo``: CSCV probability of backtest
    overfitting over ``n_blocks`` blocks and ``n_splits`` splits (None with fewer than two sets or
    too few rows, ``pbo_note`` says why)."""

    n_trials: int
    selected: int
    n_obs: int
    deflated_sharpe: float
    sharpe: float
    expected_max_sharpe: float
    sharpe_variance: float
    pbo: float | None
    n_blocks: int
    n_splits: int
    pbo_note: str | None = None

    def verdict(self) -> str:
        """One line: ``PBO 0.31, deflated Sharpe p=0.87 over 174 trials``."""
        pbo = "PBO n/a" if self.pbo is None else f"PBO {self.pbo:.2f}"
        dsr = "n/a" if not math.isfinite(self.deflated_sharpe) else f"{self.deflated_sharpe:.2f}"
        return f"{pbo}, deflated Sharpe p={dsr} over {self.n_trials} trials"

    def to_dict(self) -> dict:
        def clean(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else float(x)

        return {"deflated_sharpe": clean(self.deflated_sharpe), "pbo": clean(self.pbo), "n_trials": self.n_trials,
                "selected": self.selected, "n_obs": self.n_obs, "sharpe_per_period": clean(self.sharpe),
                "expected_max_sharpe_per_period": clean(self.expected_max_sharpe),
                "sharpe_variance": clean(self.sharpe_variance), "n_blocks": self.n_blocks,
                "n_splits": self.n_splits, "pbo_note": self.pbo_note, "verdict": self.verdict()}


def assess_overfitting(returns: np.ndarray, selected: int, *, max_blocks: int = 16) -> OverfittingReport:
    """Deflated Sharpe of column ``selected`` and CSCV PBO over a (T × N) matrix of per-period
    returns, one column per trial (N = ``n_trials``); the trials' Sharpe variance is taken over
    the columns with a finite Sharpe ratio (a set that never moves has none)."""
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 1:
        raise ConfigError("returns must be a (T x N) matrix", details={"field": "returns"})
    if not 0 <= selected < m.shape[1]:
        raise ConfigError(f"selected column {selected} is not in [0, {m.shape[1]})", details={"field": "selected"})
    m = np.where(np.isfinite(m), m, 0.0)
    n_trials = m.shape[1]
    sd = m.std(axis=0, ddof=1) if m.shape[0] > 1 else np.zeros(n_trials)
    with np.errstate(invalid="ignore", divide="ignore"):
        trial_sharpes = np.where(sd > 0, m.mean(axis=0) / sd, np.nan)
    finite = trial_sharpes[np.isfinite(trial_sharpes)]
    variance = float(np.var(finite, ddof=1)) if finite.size > 1 else 0.0
    if m.shape[0] >= 3:
        dsr = deflated_sharpe_ratio(m[:, selected], n_trials=n_trials, sharpe_variance=variance)
        probability, sharpe, sr0 = dsr.probability, dsr.sharpe, dsr.expected_max_sharpe
    else:
        probability = sharpe = sr0 = math.nan
    n_blocks, pbo, n_splits, note = cscv_blocks(m.shape[0], max_blocks), None, 0, None
    if n_trials < 2:
        note, n_blocks = "PBO needs at least two parameter sets", 0
    elif n_blocks == 0:
        note = f"PBO needs at least {2 * MIN_ROWS_PER_BLOCK} returns, got {m.shape[0]}"
    else:
        cscv = probability_of_backtest_overfitting(m, n_blocks)
        pbo, n_splits = cscv.pbo, cscv.n_splits
    return OverfittingReport(n_trials=n_trials, selected=int(selected), n_obs=int(m.shape[0]),
                             deflated_sharpe=probability, sharpe=sharpe, expected_max_sharpe=sr0,
                             sharpe_variance=variance, pbo=pbo, n_blocks=n_blocks, n_splits=n_splits, pbo_note=note)
