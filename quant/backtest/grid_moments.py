"""Return moments of a fused grid (numba): each parameter set's equity summed over symbols becomes
simple returns folded straight into per-block power sums (``quant.metrics.return_moments``), so
the overfitting statistics never hold a (bars × sets) returns matrix or replay the grid."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def fold_summed_returns(equity_sums, base, bounds, out):
    """Adds to ``out`` (4, B, P) the sums of r, r², r³, r⁴ per block of the returns of each row of
    ``equity_sums`` (P, T): r[t] = equity[t] / equity[t - 1] - 1, the first bar against ``base`` (the
    summed initial capital); ``bounds`` (B + 1,) are the blocks' row offsets. A non-finite return
    (equity 0 or missing) counts as 0, as ``ReturnMoments.from_returns`` counts it."""
    n_sets, n_rows = equity_sums.shape
    for j in range(n_sets):
        prev = base
        b = 0
        for t in range(n_rows):
            while t >= bounds[b + 1]:
                b += 1
            eq = equity_sums[j, t]
            r = eq / prev - 1.0
            prev = eq
            if not np.isfinite(r):
                r = 0.0
            r2 = r * r
            out[0, b, j] += r
            out[1, b, j] += r2
            out[2, b, j] += r2 * r
            out[3, b, j] += r2 * r2
