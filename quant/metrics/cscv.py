"""Combinatorially symmetric cross-validation (CSCV) and the probability of backtest overfitting.

Bailey, Borwein, López de Prado & Zhu (2015): the rows of a (T × N) matrix of per-period strategy
returns are cut into an even number of contiguous blocks; every choice of half the blocks is
in-sample, the rest out-of-sample; PBO is the share of those splits in which the in-sample best
strategy (by per-period Sharpe ratio) ranks at or below the out-of-sample median.

Computed from ``ReturnMoments`` (per block and strategy: count, sum, sum of squares), so a split's
Sharpe ratios are sums over its blocks: C(16, 8) = 12,870 splits of 174 strategies cost one pass of
block additions in a numba kernel (the splits divided between threads), whatever T is, and the
returns are never cut into splits.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numba import njit

from errors import ConfigError
from quant.backtest.executors import split_across_threads
from quant.metrics.return_moments import ReturnMoments


@dataclass(frozen=True)
class OverfittingResult:
    """``pbo``: share of splits whose in-sample winner has out-of-sample logit <= 0; ``logits``:
    one per split, in ``itertools.combinations`` order of the in-sample blocks; ``n_splits``."""

    pbo: float
    logits: np.ndarray
    n_splits: int


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _sharpe(n, total, total_sq):
    """``return_moments.sharpe_from_sums`` for one strategy: -inf without variance."""
    mean = total / n
    var = (total_sq - total * mean) / (n - 1.0)
    if var > 1e-30:
        return mean / np.sqrt(max(var, 1e-300))
    return -np.inf


@njit(cache=True, nogil=True, error_model="numpy")
def cscv_ranks(counts, sums, squares, splits, ranks):
    """For each split (a row of ``splits``: its in-sample block numbers) writes to ``ranks`` the
    out-of-sample rank (1 = worst, ties averaged) of the in-sample best strategy (the first of
    equals); counts (B,), sums and squares (B, N). Blocks are summed in block order."""
    n_blocks, n_sets = sums.shape
    in_sample = np.zeros(n_blocks, dtype=np.bool_)
    is_sum, is_sq = np.empty(n_sets), np.empty(n_sets)
    oos_sum, oos_sq = np.empty(n_sets), np.empty(n_sets)
    oos_perf = np.empty(n_sets)
    for k in range(splits.shape[0]):
        in_sample[:] = False
        for q in range(splits.shape[1]):
            in_sample[splits[k, q]] = True
        is_sum[:] = 0.0
        is_sq[:] = 0.0
        oos_sum[:] = 0.0
        oos_sq[:] = 0.0
        n_is = 0.0
        n_oos = 0.0
        for b in range(n_blocks):
            if in_sample[b]:
                n_is += counts[b]
                for j in range(n_sets):
                    is_sum[j] += sums[b, j]
                    is_sq[j] += squares[b, j]
            else:
                n_oos += counts[b]
                for j in range(n_sets):
                    oos_sum[j] += sums[b, j]
                    oos_sq[j] += squares[b, j]
        best = 0
        best_perf = -np.inf
        for j in range(n_sets):
            perf = _sharpe(n_is, is_sum[j], is_sq[j])
            if perf > best_perf:
                best_perf = perf
                best = j
        for j in range(n_sets):
            oos_perf[j] = _sharpe(n_oos, oos_sum[j], oos_sq[j])
        best_oos = oos_perf[best]
        below = 0
        ties = 0
        for j in range(n_sets):
            below += oos_perf[j] < best_oos
            ties += oos_perf[j] == best_oos
        ranks[k] = below + (ties + 1) / 2.0


def cscv(moments: ReturnMoments) -> OverfittingResult:
    """PBO over every split of ``moments``' blocks (an even number >= 2) into two halves, for N >= 2
    strategies; performance is the per-period Sharpe ratio of each half's rows."""
    n_blocks, n_sets = moments.n_blocks, moments.n_columns
    if n_sets < 2:
        raise ConfigError("returns must be a (T x N) matrix with N >= 2 strategies", details={"field": "returns"})
    if n_blocks < 2 or n_blocks % 2:
        raise ConfigError("n_blocks must be an even number >= 2", details={"field": "n_blocks"})
    splits = np.array(list(itertools.combinations(range(n_blocks), n_blocks // 2)), dtype=np.int64)
    ranks = np.empty(len(splits))
    counts = moments.counts.astype(np.float64)
    sums, squares = np.ascontiguousarray(moments.power_sums[0]), np.ascontiguousarray(moments.power_sums[1])
    split_across_threads(lambda lo, hi: cscv_ranks(counts, sums, squares, splits[lo:hi], ranks[lo:hi]), len(splits),
                         min_tasks=256)
    omega = ranks / (n_sets + 1.0)
    logits = np.log(omega / (1.0 - omega))
    return OverfittingResult(pbo=float(np.mean(logits <= 0.0)), logits=logits, n_splits=len(logits))


def probability_of_backtest_overfitting(returns: np.ndarray, n_blocks: int = 16) -> OverfittingResult:
    """CSCV over a (T × N) matrix of per-period strategy returns cut into ``n_blocks`` (even)
    contiguous blocks (``numpy.array_split``'s cut). Ties: the first strategy wins in-sample and
    out-of-sample ranks are averaged (``scipy.stats.rankdata``)."""
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ConfigError("returns must be a (T x N) matrix with N >= 2 strategies", details={"field": "returns"})
    if n_blocks < 2 or n_blocks % 2:
        raise ConfigError("n_blocks must be an even number >= 2", details={"field": "n_blocks"})
    if m.shape[0] < 2 * n_blocks:
        raise ConfigError("too few rows for n_blocks", details={"field": "n_blocks", "rows": m.shape[0]})
    return cscv(ReturnMoments.from_returns(m, n_blocks))

