"""Grids and walk-forwards carry the "is this result luck?" block: per-set return moments (per-block
power sums of the daily returns), the deflated Sharpe of the best set and the CSCV probability of
backtest overfitting. The reference is what the fused grid replaced: every set's trades replayed by
the vectorized engine, its daily returns materialised, the statistics computed from that matrix."""

import numpy as np
import pandas as pd
import pytest

from quant.backtest.config import BacktestConfig
from quant.backtest.grid import moment_blocks, run_crossover_grid, run_grid, summed_returns
from quant.backtest.vectorized import run_vectorized
from quant.backtest.walkforward import WalkForwardConfig, walk_forward, walk_forward_crossover
from quant.metrics.overfitting import assess_overfitting, deflated_sharpe_ratio
from quant.metrics.return_moments import ReturnMoments
from tests.unit.backtest.conftest import ema_crossover, gbm_panels, sma_crossover

FAST, SLOW = [5, 10, 20], [20, 40, 60]
WF = WalkForwardConfig(in_sample_days=200, out_of_sample_days=100)


def replayed_returns(panels, grid, signal, config, start=0, end=None) -> np.ndarray:
    """(bars, sets) daily returns of each set's equity summed over symbols, each set's targets
    replayed through the vectorized engine (the path the fused moments replaced)."""
    per_symbol = config.model_copy(update={"capital_mode": "per_symbol"})
    close = panels["close"]
    columns = []
    for params in grid.params:
        targets = signal(panels, params).reindex(index=close.index, columns=close.columns).to_numpy()
        run = run_vectorized(panels["open"].to_numpy(), close.to_numpy(), targets, per_symbol, start=start, end=end,
                             record_trades=False)
        cash0 = np.full(close.shape[1], per_symbol.initial_capital)
        columns.append(summed_returns(run.equity[run.start:run.end], cash0)[:, 0])
    return np.column_stack(columns)


def test_grid_has_no_moments_or_overfitting_unless_asked(panels):
    grid = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW)
    assert grid.moments is None
    assert grid.overfitting() is None


@pytest.mark.parametrize(("kind", "signal"), [("sma", sma_crossover), ("ema", ema_crossover)])
def test_fused_moments_equal_the_moments_of_the_replayed_returns_and_give_the_same_report(panels, kind, signal):
    config = BacktestConfig(commission_bps=2)
    grid = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW, kind, config, start=50, end=550,
                              return_moments=True)
    returns = replayed_returns(panels, grid, signal, config, start=50, end=550)
    reference = ReturnMoments.from_returns(returns, moment_blocks(500))

    np.testing.assert_array_equal(grid.moments.counts, reference.counts)
    np.testing.assert_allclose(grid.moments.power_sums, reference.power_sums, rtol=1e-9, atol=1e-15)
    report, expected = grid.overfitting("sharpe"), assess_overfitting(returns, grid.overfitting("sharpe").selected)
    assert report.pbo == expected.pbo and report.n_splits == expected.n_splits == 12870
    assert report.deflated_sharpe == pytest.approx(expected.deflated_sharpe, rel=1e-9, abs=1e-12)
    assert report.sharpe_variance == pytest.approx(expected.sharpe_variance, rel=1e-9)


def test_fused_moments_survive_missing_closes_and_chunked_equity_sums():
    panels = gbm_panels(400, 3, seed=11)
    for name in ("open", "close"):
        panels[name].iloc[120:125, 1] = np.nan  # a symbol with a gap in its prices
    whole = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW, return_moments=True)
    chunked = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW, return_moments=True,
                                 max_equity_cells=2 * 400)  # two pairs per chunk
    returns = replayed_returns(panels, whole, sma_crossover, BacktestConfig())

    np.testing.assert_array_equal(chunked.moments.power_sums, whole.moments.power_sums)
    np.testing.assert_allclose(whole.moments.power_sums, ReturnMoments.from_returns(returns, 16).power_sums,
                               rtol=1e-9, atol=1e-15)


def test_generic_grid_moments_equal_the_fused_grid_moments_on_the_pandas_reference_signal(panels):
    fused = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW, start=50, end=550, return_moments=True)
    generic = run_grid(sma_crossover, panels, fused.params, start=50, end=550, return_moments=True)
    assert generic.moments.power_sums.shape == (4, 16, len(fused.params))
    np.testing.assert_allclose(fused.moments.power_sums, generic.moments.power_sums, rtol=1e-9, atol=1e-15)
    assert fused.overfitting().pbo == generic.overfitting().pbo


def test_single_symbol_moments_reproduce_the_grid_sharpe(panels):
    grid = run_crossover_grid(panels["open"][["S0"]], panels["close"][["S0"]], FAST, SLOW, return_moments=True)
    np.testing.assert_allclose(grid.moments.sharpes() * np.sqrt(252), grid.metric("sharpe")["S0"].to_numpy(),
                               rtol=1e-8)


def test_grid_overfitting_deflates_the_best_set_over_every_set_and_says_what_it_cost(panels):
    grid = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW, return_moments=True)
    report = grid.overfitting("sharpe")
    best = grid.best("sharpe", top=1)[0]["params"]
    assert grid.params[report.selected] == best
    assert report.n_trials == len(grid.params) == 8  # 9 pairs, (20, 20) is not a crossover
    assert 0.0 <= report.pbo <= 1.0
    assert 0.0 <= report.deflated_sharpe <= 1.0
    assert report.seconds >= grid.moments_s > 0.0
    assert "seconds" not in report.to_dict()  # a cost, reported beside the block, never compared


def test_walk_forward_overfitting_uses_the_full_sample_grid_and_deflates_the_stitched_oos(panels):
    result = walk_forward_crossover(panels, FAST, SLOW, WF, overfitting=True)
    full = run_crossover_grid(panels["open"], panels["close"], FAST, SLOW, return_moments=True)
    assert result.overfitting == full.overfitting("sharpe")
    oos = result.equity.sum(axis=1)
    oos_returns = oos / pd.concat([pd.Series([BacktestConfig().initial_capital * 4]), oos.iloc[:-1]]).to_numpy() - 1
    expected = deflated_sharpe_ratio(oos_returns.to_numpy(), n_trials=8,
                                     sharpe_variance=result.overfitting.sharpe_variance).probability
    assert result.oos_deflated_sharpe == pytest.approx(expected)
    block = result.to_dict()["overfitting"]
    assert block["n_trials"] == 8 and block["pbo"] == result.overfitting.pbo
    assert block["oos_deflated_sharpe"] == pytest.approx(expected)
    assert result.to_dict()["overfitting_s"] >= result.overfitting.seconds > 0.0


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
def test_process_executor_ships_the_panels_once_and_gives_the_same_moments_as_local(panels):
    local = run_grid(sma_crossover, panels, {"fast": [5, 10], "slow": [20, 40]}, return_moments=True)
    pooled = run_grid(sma_crossover, panels, {"fast": [5, 10], "slow": [20, 40]}, executor="process",
                      max_workers=2, return_moments=True)
    assert np.array_equal(local.stats, pooled.stats, equal_nan=True)
    assert np.array_equal(local.moments.power_sums, pooled.moments.power_sums)
