"""Per-block power sums of per-period returns: the sufficient statistics of the overfitting tests.

A (T × N) matrix of per-period returns (one column per parameter set) is cut into ``n_blocks``
contiguous row blocks (``block_bounds``: the blocks of ``numpy.array_split``). For each block and
column ``ReturnMoments`` keeps the row count and the sums of r, r², r³ and r⁴. That is enough for
the mean, variance, Sharpe ratio, skewness and kurtosis of any union of blocks, so CSCV's 12,870
splits and the deflated Sharpe ratio never need the returns themselves: a grid folds each bar's
return into these sums as it runs (``quant.backtest.grid_moments``) and keeps 5 × blocks × sets
numbers instead of T × sets. Non-finite returns count as 0 (a bar with no valid equity earns nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from errors import ConfigError

N_POWERS = 4  # sums of r, r², r³, r⁴
MIN_ROWS_PER_BLOCK = 8


def cscv_blocks(n_rows: int, max_blocks: int = 16) -> int:
    """The CSCV block count for ``n_rows`` returns: ``max_blocks`` (even) when every block gets at
    least ``MIN_ROWS_PER_BLOCK`` rows, else the largest even count that does; 0 if not even 2 fit."""
    blocks = min(max_blocks, n_rows // MIN_ROWS_PER_BLOCK)
    blocks -= blocks % 2
    return blocks if blocks >= 2 else 0


def block_bounds(n_rows: int, n_blocks: int) -> np.ndarray:
    """(n_blocks + 1,) int64 row offsets of ``n_blocks`` contiguous blocks over ``n_rows`` rows, the
    first ``n_rows % n_blocks`` blocks one row longer (``numpy.array_split``'s cut)."""
    if n_blocks < 1:
        raise ConfigError("n_blocks must be >= 1", details={"field": "n_blocks"})
    size, extra = divmod(n_rows, n_blocks)
    lengths = np.full(n_blocks, size, dtype=np.int64)
    lengths[:extra] += 1
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def sharpe_from_sums(n: np.ndarray | float, total: np.ndarray, total_sq: np.ndarray) -> np.ndarray:
    """Per-period Sharpe (ddof=1) from counts, sums and sums of squares; -inf where the variance is
    zero (a strategy that never moved cannot be ranked above one that did)."""
    mean = total / n
    var = (total_sq - total * mean) / (n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 1e-30, mean / np.sqrt(np.maximum(var, 1e-300)), -np.inf)


@dataclass(frozen=True)
class ColumnMoments:
    """Moments of one column over all its rows: ``n_obs``, ``mean``, ``std`` (ddof=1), ``sharpe``
    (per period; NaN without variance), ``skew`` and ``kurtosis`` (biased, non-excess, as
    ``scipy.stats.skew``/``kurtosis(fisher=False)``; NaN without variance)."""

    n_obs: int
    mean: float
    std: float
    sharpe: float
    skew: float
    kurtosis: float


@dataclass(frozen=True)
class ReturnMoments:
    """``counts[b]``: rows in block b; ``power_sums[k - 1, b, j]``: the sum of r**k over block b of
    column j (k = 1..4). Blocks are contiguous and in row order."""

    counts: np.ndarray
    power_sums: np.ndarray

    @property
    def n_blocks(self) -> int:
        return int(self.counts.shape[0])

    @property
    def n_columns(self) -> int:
        return int(self.power_sums.shape[2])

    @property
    def n_obs(self) -> int:
        return int(self.counts.sum())

    @classmethod
    def empty(cls, n_rows: int, n_blocks: int, n_columns: int) -> ReturnMoments:
        """Zero sums over ``block_bounds(n_rows, n_blocks)``, ready to be accumulated into."""
        return cls(counts=np.diff(block_bounds(n_rows, n_blocks)),
                   power_sums=np.zeros((N_POWERS, n_blocks, n_columns)))

    @classmethod
    def from_returns(cls, returns: np.ndarray, n_blocks: int) -> ReturnMoments:
        """The moments of a (T × N) (or (T,)) matrix of per-period returns in ``n_blocks`` blocks."""
        m = np.asarray(returns, dtype=np.float64)
        m = m[:, None] if m.ndim == 1 else m
        if m.ndim != 2:
            raise ConfigError("returns must be a (T x N) matrix", details={"field": "returns"})
        bounds = block_bounds(m.shape[0], n_blocks)
        sums = np.empty((N_POWERS, n_blocks, m.shape[1]))
        for b in range(n_blocks):
            # row by row, in row order: the same additions as a running sum over the rows
            r = m[bounds[b]:bounds[b + 1]]
            r = np.where(np.isfinite(r), r, 0.0)
            r2 = r * r
            sums[0, b], sums[1, b] = r.sum(axis=0), r2.sum(axis=0)
            sums[2, b], sums[3, b] = (r2 * r).sum(axis=0), (r2 * r2).sum(axis=0)
        return cls(counts=np.diff(bounds), power_sums=sums)

    @classmethod
    def concat(cls, parts: list[ReturnMoments]) -> ReturnMoments:
        """Columns of several moment sets over the same blocks, side by side."""
        if not parts:
            raise ConfigError("nothing to concatenate", details={"field": "parts"})
        counts = parts[0].counts
        if any(not np.array_equal(p.counts, counts) for p in parts):
            raise ConfigError("moment sets cut into different blocks", details={"field": "parts"})
        return cls(counts=counts, power_sums=np.concatenate([p.power_sums for p in parts], axis=2))

    def totals(self) -> tuple[int, np.ndarray]:
        """(rows, (4, N) power sums over every block)."""
        return self.n_obs, self.power_sums.sum(axis=1)

    def sharpes(self) -> np.ndarray:
        """(N,) per-period Sharpe ratio of each column over all rows; NaN where it never moved."""
        n, sums = self.totals()
        if n < 2:
            return np.full(self.n_columns, np.nan)
        s = sharpe_from_sums(float(n), sums[0], sums[1])
        return np.where(np.isfinite(s), s, np.nan)

    def column(self, j: int) -> ColumnMoments:
        """Mean, standard deviation, Sharpe, skewness and kurtosis of column ``j`` over all rows."""
        n, sums = self.totals()
        s1, s2, s3, s4 = (float(x) for x in sums[:, j])
        if n < 2:
            return ColumnMoments(n, s1 / n if n else np.nan, np.nan, np.nan, np.nan, np.nan)
        mean = s1 / n
        var = (s2 - s1 * mean) / (n - 1)
        std = float(np.sqrt(var)) if var > 0 else 0.0
        sharpe = mean / std if var > 1e-30 else np.nan
        # central moments from the raw ones (biased, over n)
        m2 = s2 / n - mean * mean
        m3 = s3 / n - 3.0 * mean * s2 / n + 2.0 * mean**3
        m4 = s4 / n - 4.0 * mean * s3 / n + 6.0 * mean * mean * s2 / n - 3.0 * mean**4
        flat = m2 <= (np.finfo(np.float64).eps * mean) ** 2  # scipy's test for "no variance"
        skew = np.nan if flat else m3 / m2**1.5
        kurtosis = np.nan if flat else m4 / m2**2
        return ColumnMoments(n_obs=n, mean=mean, std=std, sharpe=float(sharpe), skew=float(skew),
                             kurtosis=float(kurtosis))
