"""numba kernel behind ``quant.research.montecarlo``: one pass per simulated path.

Uniform draws come from numpy's seeded Generator (so a seed fixes every number); the kernel
turns them into resampling indices and accumulates each path's statistics without building
the full paths × steps equity matrix.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def simulate_paths(values, uniforms, new_block_probability, compound, initial, fan_steps,
                   finals, max_drawdowns, sharpe_ratios, fan_equity):  # fmt: skip
    """Fill per-path outputs from ``uniforms`` (paths × steps, each in [0, 1)).

    A step starts a new block when u < ``new_block_probability`` (always on step 0); the block's
    first index is u / p · n, later steps take the next observation (wrapping). ``compound``:
    values are simple returns (equity *= 1 + r, step return r); otherwise currency P&Ls
    (equity += pnl, step return pnl / equity before). Drawdowns are fractions of the peak;
    Sharpe is mean / std (ddof 1) of step returns, NaN when undefined.
    """
    n_obs = values.shape[0]
    n_paths, n_steps = uniforms.shape
    p = new_block_probability
    for path in range(n_paths):
        equity = initial
        peak = initial
        worst = 0.0
        mean = 0.0
        m2 = 0.0
        count = 0
        fan_i = 0
        if fan_steps[0] == 0:
            fan_equity[path, 0] = equity
            fan_i = 1
        index = 0
        for step in range(n_steps):
            u = uniforms[path, step]
            if step == 0 or u < p:
                index = min(int(u / p * n_obs), n_obs - 1)
            else:
                index = index + 1
                if index == n_obs:
                    index = 0
            value = values[index]
            if compound:
                step_return = value
                equity = equity * (1.0 + value)
            else:
                step_return = value / equity if equity > 0 else np.nan
                equity = equity + value
            count += 1
            delta = step_return - mean
            mean += delta / count
            m2 += delta * (step_return - mean)
            if equity > peak:
                peak = equity
            elif peak > 0:
                drawdown = 1.0 - equity / peak
                if drawdown > worst:
                    worst = drawdown
            while fan_i < fan_steps.shape[0] and fan_steps[fan_i] == step + 1:
                fan_equity[path, fan_i] = equity
                fan_i += 1
        finals[path] = equity
        max_drawdowns[path] = worst
        if count > 1:
            std = math.sqrt(m2 / (count - 1))
            sharpe_ratios[path] = mean / std if std > 1e-12 * max(1.0, abs(mean)) else np.nan
        else:
            sharpe_ratios[path] = np.nan
