"""The grid command loads its kernels before the grid runs (so that cost is reported apart from the
grid's own elapsed time): every kernel the grid and its overfitting report call is then compiled or
loaded for the argument types the real call passes."""

from quant.backtest.crossover_signals import window_sums
from quant.backtest.grid import run_crossover_grid
from quant.backtest.grid_kernels import crossover_grid_tasks
from quant.backtest.grid_moments import fold_summed_returns
from quant.backtest.kernel_warmup import load_crossover_kernels
from quant.metrics.cscv import cscv_ranks
from tests.unit.backtest.conftest import gbm_panels


def test_loading_the_kernels_leaves_each_one_with_the_signature_a_real_grid_uses():
    seconds = load_crossover_kernels()
    kernels = (window_sums, crossover_grid_tasks, fold_summed_returns, cscv_ranks)
    loaded = {k: set(k.signatures) for k in kernels}

    panels = gbm_panels(300, 3, seed=2)
    run_crossover_grid(panels["open"], panels["close"], [5, 10], [20, 30], return_moments=True).overfitting()

    assert seconds >= 0.0 and all(loaded.values())
    assert {k: set(k.signatures) for k in kernels} == loaded  # the real grid needed no other specialisation
