"""Overfitting statistics for strategy selection.

- ``probabilistic_sharpe_ratio`` / ``deflated_sharpe_ratio``: Bailey & López de Prado (2014),
  "The Deflated Sharpe Ratio": the probability that the true Sharpe exceeds a benchmark, given
  the sample length, skewness and kurtosis; deflated by the expected maximum Sharpe of
  ``n_trials`` independent unskilled trials.
- ``probability_of_backtest_overfitting``: Bailey, Borwein, López de Prado & Zhu (2015), CSCV
  (``quant.metrics.cscv``): the share of combinatorial in-sample/out-of-sample splits in which the
  in-sample best strategy ranks at or below the out-of-sample median.
- ``assess_overfitting_moments``: both for a parameter search, as an ``OverfittingReport`` (what
  grid and walk-forward results carry): the selected set's deflated Sharpe over all N trials and the
  PBO, from the ``ReturnMoments`` of the (T × N) per-period returns (per-block sums of r, r², r³,
  r⁴), with a one-line ``verdict()``; ``assess_overfitting`` does the same from the matrix itself.
Sharpe ratios here are per period (not annualised), as in the papers. The normal distribution is
the standard library's (``math.erfc``, ``statistics.NormalDist``): scipy.stats would cost ~0.8 s and
~60 MB of imports in every grid command.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from errors import ConfigError
from quant.metrics.cscv import OverfittingResult, cscv, probability_of_backtest_overfitting
from quant.metrics.return_moments import MIN_ROWS_PER_BLOCK, ColumnMoments, ReturnMoments, cscv_blocks

EULER_GAMMA = 0.5772156649015329
_STANDARD_NORMAL = NormalDist()


def normal_cdf(x: float) -> float:
    """Standard normal CDF, accurate in both tails (``erfc``, as scipy's ``ndtr``)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def probabilistic_sharpe_ratio(sharpe: float, benchmark_sharpe: float, n_obs: int, skew: float = 0.0,
                               kurtosis: float = 3.0) -> float:
    """P(true SR > benchmark) for a per-period ``sharpe`` from ``n_obs`` returns with the given
    skewness and (non-excess) kurtosis."""
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if n_obs < 2 or denom <= 0:
        return math.nan
    return normal_cdf((sharpe - benchmark_sharpe) * math.sqrt(n_obs - 1) / math.sqrt(denom))


def expected_max_sharpe(sharpe_variance: float, n_trials: int) -> float:
    """E[max SR] of ``n_trials`` unskilled trials whose Sharpe ratios have variance ``sharpe_variance``."""
    if n_trials < 1:
        raise ConfigError("n_trials must be >= 1", details={"field": "n_trials"})
    if n_trials == 1:
        return 0.0
    z1 = _STANDARD_NORMAL.inv_cdf(1.0 - 1.0 / n_trials)
    z2 = _STANDARD_NORMAL.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
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
    """Deflated Sharpe ratio of the selected strategy's per-period ``returns`` (non-finite ones
    dropped) after ``n_trials`` trials; the variance of the trials' Sharpe ratios comes from
    ``trial_sharpes`` (per period) or ``sharpe_variance``."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size < 3:
        raise ConfigError("need at least 3 returns", details={"field": "returns", "n": int(r.size)})
    if sharpe_variance is None:
        if trial_sharpes is None:
            raise ConfigError("give trial_sharpes or sharpe_variance", details={"field": "trial_sharpes"})
        sharpe_variance = float(np.var(np.asarray(trial_sharpes, dtype=np.float64), ddof=1))
    return deflated_sharpe_from_moments(ReturnMoments.from_returns(r, 1).column(0), n_trials=n_trials,
                                        sharpe_variance=sharpe_variance)


def deflated_sharpe_from_moments(column: ColumnMoments, *, n_trials: int, sharpe_variance: float) -> DeflatedSharpe:
    """``deflated_sharpe_ratio`` of a strategy whose returns have the moments ``column``."""
    sr0 = expected_max_sharpe(sharpe_variance, n_trials)
    probability = probabilistic_sharpe_ratio(column.sharpe, sr0, column.n_obs, column.skew, column.kurtosis)
    return DeflatedSharpe(probability=probability, sharpe=column.sharpe, expected_max_sharpe=sr0, n_trials=n_trials,
                          n_obs=column.n_obs, skew=column.skew, kurtosis=column.kurtosis)


@dataclass(frozen=True)
class OverfittingReport:
    """"Is this result luck?" for a search over ``n_trials`` parameter sets.

    ``deflated_sharpe``: probability that the selected set's true Sharpe exceeds the best of
    ``n_trials`` unskilled trials (Bailey & López de Prado); ``sharpe`` / ``expected_max_sharpe`` /
    ``sharpe_variance`` are per period (not annualised); ``pbo``: CSCV probability of backtest
    overfitting over ``n_blocks`` blocks and ``n_splits`` splits (None with fewer than two sets or
    too few rows, ``pbo_note`` says why). ``seconds``: what the report cost (folding returns into
    moments, CSCV and the deflated Sharpe), as the caller measured it; a cost, not a finding, so it is
    neither compared nor in ``to_dict`` (callers report it beside the block)."""

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
    seconds: float = field(default=0.0, compare=False)

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
    returns, one column per trial (N = ``n_trials``); non-finite returns count as 0."""
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 1:
        raise ConfigError("returns must be a (T x N) matrix", details={"field": "returns"})
    return assess_overfitting_moments(ReturnMoments.from_returns(m, cscv_blocks(m.shape[0], max_blocks) or 1),
                                      selected)


def assess_overfitting_moments(moments: ReturnMoments, selected: int) -> OverfittingReport:
    """Deflated Sharpe of column ``selected`` over N = ``n_trials`` columns and CSCV PBO over the
    blocks of ``moments`` (none with one block or one column, ``pbo_note`` says why); the trials'
    Sharpe variance is taken over the columns with a Sharpe ratio (a set that never moves has none)."""
    n_trials, n_obs = moments.n_columns, moments.n_obs
    if n_trials < 1:
        raise ConfigError("returns must be a (T x N) matrix", details={"field": "returns"})
    if not 0 <= selected < n_trials:
        raise ConfigError(f"selected column {selected} is not in [0, {n_trials})", details={"field": "selected"})
    trial_sharpes = moments.sharpes()
    finite = trial_sharpes[np.isfinite(trial_sharpes)]
    variance = float(np.var(finite, ddof=1)) if finite.size > 1 else 0.0
    if n_obs >= 3:
        dsr = deflated_sharpe_from_moments(moments.column(selected), n_trials=n_trials, sharpe_variance=variance)
        probability, sharpe, sr0 = dsr.probability, dsr.sharpe, dsr.expected_max_sharpe
    else:
        probability = sharpe = sr0 = math.nan
    n_blocks, pbo, n_splits, note = moments.n_blocks, None, 0, None
    if n_trials < 2:
        note, n_blocks = "PBO needs at least two parameter sets", 0
    elif n_blocks < 2:
        note, n_blocks = f"PBO needs at least {2 * MIN_ROWS_PER_BLOCK} returns, got {n_obs}", 0
    else:
        result = cscv(moments)
        pbo, n_splits = result.pbo, result.n_splits
    return OverfittingReport(n_trials=n_trials, selected=int(selected), n_obs=n_obs, deflated_sharpe=probability,
                             sharpe=sharpe, expected_max_sharpe=sr0, sharpe_variance=variance, pbo=pbo,
                             n_blocks=n_blocks, n_splits=n_splits, pbo_note=note)


__all__ = ["DeflatedSharpe", "OverfittingReport", "OverfittingResult", "assess_overfitting",
           "assess_overfitting_moments", "cscv_blocks", "deflated_sharpe_from_moments", "deflated_sharpe_ratio",
           "expected_max_sharpe", "normal_cdf", "probabilistic_sharpe_ratio", "probability_of_backtest_overfitting"]
