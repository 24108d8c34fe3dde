"""executor="ray" on a real local Ray cluster (loopback only): the same grid and walk-forward as
executor="local", and the cluster it started is gone afterwards."""

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from quant.backtest.executors import executor_session, map_tasks, ray_started_here  # noqa: E402
from quant.backtest.grid import run_grid  # noqa: E402
from quant.backtest.walkforward import WalkForwardConfig, walk_forward  # noqa: E402
from tests.unit.backtest.conftest import gbm_panels, sma_crossover  # noqa: E402

GRID = {"fast": [5, 10], "slow": [20, 40]}
WF = WalkForwardConfig(in_sample_days=150, out_of_sample_days=75)


def _double(shared, task):
    return shared["factor"] * task


def test_ray_grid_and_walk_forward_equal_local_and_the_cluster_is_shut_down_afterwards():
    panels = gbm_panels(400, 3, seed=3)
    local_grid = run_grid(sma_crossover, panels, GRID, return_moments=True)
    local_wf = walk_forward(sma_crossover, panels, GRID, WF, overfitting=True)
    assert not ray.is_initialized()

    with executor_session("ray"):
        assert ray.is_initialized() and ray_started_here()
        assert map_tasks(_double, [1, 2, 3], "ray", shared={"factor": 2}) == [2, 4, 6]
        assert map_tasks(abs, [-1, -2], "ray") == [1, 2]  # builtins run too (Ray cannot wrap them directly)
        ray_grid = run_grid(sma_crossover, panels, GRID, executor="ray", return_moments=True)
        ray_wf = walk_forward(sma_crossover, panels, GRID, WF, executor="ray", overfitting=True)
        assert ray.is_initialized()  # inner sessions reuse the cluster instead of restarting it

    assert not ray.is_initialized() and not ray_started_here()
    assert ray_grid.params == local_grid.params
    assert np.array_equal(ray_grid.stats, local_grid.stats, equal_nan=True)
    assert np.array_equal(ray_grid.moments.power_sums, local_grid.moments.power_sums)
    assert [f.params for f in ray_wf.folds] == [f.params for f in local_wf.folds]
    assert ray_wf.equity.equals(local_wf.equity)
    assert ray_wf.overfitting == local_wf.overfitting
