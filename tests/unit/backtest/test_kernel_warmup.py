"""The grid command loads its kernels before the grid runs (so that cost is reported apart from the
grid's own elapsed time): every kernel the grid and its overfitting report call is then compiled or
loaded for the argument types the real call passes."""

def test_loading_the_kernels_leaves_each_one_with_the_signature_a_real_grid_uses():
    # a fresh interpreter: in this one earlier tests may have specialised the kernels for other argument types
    script = (
        "from quant.backtest.crossover_signals import window_sums\n"
        "from quant.backtest.grid import run_crossover_grid\n"
        "from quant.backtest.grid_kernels import crossover_grid_tasks\n"
        "from quant.backtest.grid_moments import fold_summed_returns\n"
        "from quant.backtest.kernel_warmup import load_crossover_kernels\n"
        "from quant.metrics.cscv import cscv_ranks\n"
        "from tests.unit.backtest.conftest import gbm_panels\n"
        "seconds = load_crossover_kernels()\n"
        "kernels = (window_sums, crossover_grid_tasks, fold_summed_returns, cscv_ranks)\n"
        "loaded = [len(k.signatures) for k in kernels]\n"
        "before = [set(k.signatures) for k in kernels]\n"
        "panels = gbm_panels(300, 3, seed=2)\n"
        "run_crossover_grid(panels['open'], panels['close'], [5, 10], [20, 30], return_moments=True).overfitting()\n"
        "print(seconds >= 0.0, loaded, [set(k.signatures) == b for k, b in zip(kernels, before)])\n"
    )

    out = _fresh_python(script)

    assert out == "True [1, 1, 1, 1] [True, True, True, True]"  # the real grid needed no other specialisation


def _fresh_python(script: str) -> str:
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[3])
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_loading_the_kernels_skips_scipy_yet_a_kernel_using_blas_still_compiles():
    # a fresh interpreter: this one may have imported scipy.linalg already
    script = (
        "import sys, numpy as np, numba\n"
        "from quant.backtest.kernel_warmup import load_crossover_kernels\n"
        "load_crossover_kernels()\n"
        "print('scipy.linalg' in sys.modules)\n"
        "dot = numba.njit(lambda a, b: np.dot(a, b))\n"
        "print(dot(np.arange(3.0), np.arange(3.0)))\n"
    )
    assert _fresh_python(script).split() == ["False", "5.0"]
