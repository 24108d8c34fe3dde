"""Load the crossover grid's numba kernels before the grid runs, and say what that cost.

A process's first call of a cached numba kernel costs far more than the kernel: numba builds its
typing and target context (importing its lowering modules, and scipy.linalg to look for BLAS) and
loads each kernel from the cache: 0.3-1 s on the 2-core benchmark machine, more than the 3,480
backtests themselves. It is a start-up cost of the process, like an import, so a command loads the
kernels first and reports that time apart from the grid's own ``elapsed_s``. The load runs the
real entry point (``run_crossover_grid`` with return moments, then its overfitting report) on a tiny
panel, so every kernel is loaded with the argument types the real call uses. The research service
loads them on a second thread while it reads the bars (a wait on Postgres) and waits for that thread
before it returns or raises, so no thread is left importing at the interpreter's shutdown.
"""

from __future__ import annotations

import sys
import time

import numpy as np

_WARM_BARS = 40  # enough rows for 4 CSCV blocks, so the PBO kernel loads too


def load_crossover_kernels(overfitting: bool = True) -> float:
    """Load (or, without a cache, compile) every kernel of ``run_crossover_grid`` and, with
    ``overfitting``, of its return moments and overfitting report, in this process; returns the
    seconds it took (near 0 once loaded)."""
    from quant.backtest.grid import run_crossover_grid

    began = time.perf_counter()
    _load_numba_arraymath_without_blas_probe()
    close = np.linspace(100.0, 120.0, 2 * _WARM_BARS).reshape(_WARM_BARS, 2)
    # SMA and EMA share every kernel (the kind is an argument); opens as an array, as from a panel
    grid = run_crossover_grid(close, close, [2], [3, 4], return_moments=overfitting)
    if overfitting:
        grid.overfitting()
    return time.perf_counter() - began


def _load_numba_arraymath_without_blas_probe() -> None:
    """Import numba's array lowering module, which the first kernel load imports anyway, without its BLAS probe.

    ``numba.np.arraymath`` asks at import whether BLAS is there by importing ``scipy.linalg`` (0.12-0.25 s:
    scipy's array-API layer imports numpy.f2py too), only to pick np.dot's implementation; no crossover kernel
    calls BLAS. scipy is a dependency of quantpilot, so the probe's answer is known: it is given without the
    import. A kernel that does call BLAS still imports scipy.linalg then (numba's BLAS lowering calls
    ``ensure_blas`` itself). Done under numba's compiler lock, so no other thread compiles meanwhile.
    """
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    from numba.core.compiler_lock import global_compiler_lock
    from numba.np import linalg

    probe = linalg.ensure_blas
    with global_compiler_lock:
        linalg.ensure_blas = _blas_is_there
        try:
            import numba.np.arraymath  # noqa: F401 - the import is the point
        finally:
            linalg.ensure_blas = probe
            for name in ("numba.np.old_arraymath", "numba.np.new_arraymath"):
                module = sys.modules.get(name)
                if module is not None and getattr(module, "ensure_blas", None) is _blas_is_there:
                    module.ensure_blas = probe


def _blas_is_there() -> None:
    """numba's BLAS probe answered for it: scipy (and its BLAS) is installed with quantpilot."""
