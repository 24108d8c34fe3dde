"""Load the crossover grid's numba kernels before the grid runs, and say what that cost.

A process's first call of a cached numba kernel costs far more than the kernel: numba builds its
typing and target context (importing its lowering modules, and scipy.linalg to look for BLAS) and
loads each kernel from the cache: 0.3-1 s on the 2-core benchmark machine, more than the 3,480
backtests themselves. It is a start-up cost of the process, like an import, so a command loads the
kernels first and reports that time apart from the grid's own ``elapsed_s``. The load runs the
real entry point (``run_crossover_grid`` with return moments, then its overfitting report) on a tiny
panel, so every kernel is loaded with the argument types the real call uses. (Loading on a
background thread while the bars are read was measured: with the one-message bar read the two
overlap and save 0.1-0.25 s at load 7; not done, since a thread still importing when a command fails
early, on an unknown symbol, can break the interpreter's shutdown.)
"""

from __future__ import annotations

import time

import numpy as np

_WARM_BARS = 40  # enough rows for 4 CSCV blocks, so the PBO kernel loads too


def load_crossover_kernels(overfitting: bool = True) -> float:
    """Load (or, without a cache, compile) every kernel of ``run_crossover_grid`` and, with
    ``overfitting``, of its return moments and overfitting report, in this process; returns the
    seconds it took (near 0 once loaded)."""
    from quant.backtest.grid import run_crossover_grid

    began = time.perf_counter()
    close = np.linspace(100.0, 120.0, 2 * _WARM_BARS).reshape(_WARM_BARS, 2)
    # SMA and EMA share every kernel (the kind is an argument); opens as an array, as from a panel
    grid = run_crossover_grid(close, close, [2], [3, 4], return_moments=overfitting)
    if overfitting:
        grid.overfitting()
    return time.perf_counter() - began
