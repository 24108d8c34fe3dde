"""Grids and walk-forwards carry the "is this result luck?" block: per-set daily returns, the
deflated Sharpe of the best set and the CSCV probability of backtest overfitting."""

import numpy as np
import pandas as pd
import pytest

from quant.backtest.config import BacktestConfig
from quant.backtest.grid import run_crossover_grid, run_grid
from quant.backtest.walkforward import WalkForwardConfig, walk_forward, walk_forward_crossover
from quant.metrics.overfitting import assess_overfitting, deflated_sharpe_ratio
from tests.unit.backtest.conftest import sma_crossover

FAST, SLOW = [5, 10, 20], [20, 40, 60]
WF = WalkForwardConfig(in_sample_days=200, out_of_sample_days=100)


def test_grid_has_no_returns_or_overfitting_unless_asked(panels):
    grid = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW)
    assert grid.returns is None
    assert grid.overfitting() is None


def test_fused_grid_returns_equal_the_generic_engine_on_the_pandas_reference_signal(panels):
    fused = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW, start=50, end=550, with_returns=True)
    generic = run_grid(sma_crossover, panels, fused.params, start=50, end=550, with_returns=True)
    assert fused.returns.shape == (500, len(fused.params))
    np.testing.assert_allclose(fused.returns, generic.returns, rtol=0, atol=1e-12)


def test_grid_returns_compound_to_the_summed_final_equity_of_each_set(panels):
    config = BacktestConfig()
    grid = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW, config=config, with_returns=True)
    final = grid.metric("final_equity").to_numpy().sum(axis=1)
    start_capital = config.initial_capital * len(grid.symbols)
    np.testing.assert_allclose(np.prod(1.0 + grid.returns, axis=0), final / start_capital, rtol=1e-9)


def test_single_symbol_returns_reproduce_the_grid_sharpe(panels):
    one = panels["close"][["S0"]]
    grid = run_crossover_grid(panels["open"][["S0"]], one, FAST, SLOW, with_returns=True)
    r = grid.returns
    sharpe = r.mean(axis=0) / r.std(axis=0, ddof=1) * np.sqrt(252)
    np.testing.assert_allclose(sharpe, grid.metric("sharpe")["S0"].to_numpy(), rtol=1e-8)


def test_grid_overfitting_deflates_the_best_set_over_every_set(panels):
    grid = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW, with_returns=True)
    report = grid.overfitting("sharpe")
    best = grid.best("sharpe", top=1)[0]["params"]
    assert grid.params[report.selected] == best
    assert report.n_trials == len(grid.params) == 8  # 9 pairs, (20, 20) is not a crossover
    assert report == assess_overfitting(grid.returns, report.selected)
    assert 0.0 <= report.pbo <= 1.0
    assert 0.0 <= report.deflated_sharpe <= 1.0


def test_walk_forward_overfitting_uses_the_full_sample_grid_and_deflates_the_stitched_oos(panels):
    result = walk_forward_crossover(panels, FAST, SLOW, WF, overfitting=True)
    full = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW, with_returns=True)
    assert result.overfitting == full.overfitting("sharpe")
    oos = result.equity.sum(axis=1)
    oos_returns = oos / pd.concat([pd.Series([BacktestConfig().initial_capital * 4]), oos.iloc[:-1]]).to_numpy() - 1
    expected = deflated_sharpe_ratio(oos_returns.to_numpy(), n_trials=8,
                                     sharpe_variance=result.overfitting.sharpe_variance).probability
    assert result.oos_deflated_sharpe == pytest.approx(expected)
    block = result.to_dict()["overfitting"]
    assert block["n_trials"] == 8 and block["pbo"] == result.overfitting.pbo
    assert block["oos_deflated_sharpe"] == pytest.approx(expected)


def test_generic_and_fused_walk_forward_report_the_same_overfitting(panels):
    fused = walk_forward_crossover(panels, FAST, SLOW, WF, overfitting=True)
    generic = walk_forward(sma_crossover, panels, {"fast": FAST, "slow": SLOW}, WF, overfitting=True)
    # the generic grid also runs the invalid pair (20, 20): one more trial, otherwise the same sets
    assert generic.overfitting.n_trials == fused.overfitting.n_trials + 1
    assert generic.to_dict()["overfitting"]["verdict"].endswith("over 9 trials")


def test_walk_forward_without_overfitting_has_none(panels):
    result = walk_forward_crossover(panels, FAST, SLOW, WF)
    assert result.overfitting is None and result.to_dict()["overfitting"] is None


@pytest.mark.slow
def test_process_executor_ships_the_panels_once_and_gives_the_same_returns_as_local(panels):
    local = run_grid(sma_crossover, panels, {"fast": [5, 10], "slow": [20, 40]}, with_returns=True)
    pooled = run_grid(sma_crossover, panels, {"fast": [5, 10], "slow": [20, 40]}, executor="process",
                      max_workers=2, with_returns=True)
    assert np.array_equal(local.stats, pooled.stats, equal_nan=True)
    assert np.array_equal(local.returns, pooled.returns)
