import numpy as np
import pandas as pd
import pytest

from errors import ConfigError
from quant.backtest.config import BacktestConfig
from quant.backtest.grid import run_crossover_grid
from quant.backtest.vectorized import run_vectorized
from quant.backtest.walkforward import WalkForwardConfig, fold_bounds, walk_forward, walk_forward_crossover
from tests.unit.backtest.conftest import gbm_panels, sma_crossover

WF = WalkForwardConfig(in_sample_days=200, out_of_sample_days=100)


def test_rolling_folds_tile_the_out_of_sample_bars():
    folds = fold_bounds(600, WF)
    assert [(f.is_start, f.is_end, f.oos_start, f.oos_end) for f in folds] == [
        (0, 200, 200, 300), (100, 300, 300, 400), (200, 400, 400, 500), (300, 500, 500, 600)]
    assert all(f.stitch_end == f.oos_end for f in folds)


def test_anchored_folds_start_at_bar_zero_and_a_short_step_trims_overlaps():
    folds = fold_bounds(600, WalkForwardConfig(in_sample_days=200, out_of_sample_days=100, step_days=50,
                                               window="anchored"))
    assert {f.is_start for f in folds} == {0}
    assert [f.stitch_end for f in folds[:-1]] == [f.oos_start for f in folds[1:]]
    assert folds[-1].oos_end == 600


def test_window_longer_than_the_data_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        fold_bounds(250, WalkForwardConfig())
    assert err.value.details["field"] == "in_sample_days"


def test_invalid_walk_forward_setting_names_the_field():
    with pytest.raises(ConfigError) as err:
        WalkForwardConfig(objective="luck")
    assert err.value.details["field"] == "objective"


def test_walk_forward_stitches_only_out_of_sample_bars_and_reports_progress(panels):
    calls = []
    result = walk_forward(sma_crossover, panels, {"fast": [5, 10], "slow": [20, 40]}, WF, BacktestConfig(),
                          progress=lambda done, total: calls.append((done, total)))
    index = panels["close"].index
    assert result.equity.index.equals(index[200:600])
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert (result.trades.entry_ts >= index[200]).all()
    for fold in result.folds:  # each fold's trades sit inside its own OOS window
        fold_trades = result.trades[result.trades.fold == fold.fold.number]
        assert (fold_trades.entry_ts >= index[fold.fold.oos_start]).all()
        assert (fold_trades.entry_ts < index[fold.fold.stitch_end - 1] + pd.Timedelta(days=1)).all()


def test_each_fold_picks_the_in_sample_best_of_the_grid(panels):
    result = walk_forward_crossover(panels, [5, 10], [20, 40], WF)
    for fold in result.folds:
        grid = run_crossover_grid(panels["open"], panels["close"], [5, 10], [20, 40], start=fold.fold.is_start,
                                  end=fold.fold.is_end)
        assert fold.params == grid.best("sharpe", top=1)[0]["params"]


def test_each_oos_fold_starts_from_the_previous_folds_closing_equity(panels):
    result = walk_forward_crossover(panels, [5, 10], [20, 40], WF)
    first, second = result.folds[0], result.folds[1]
    carried = result.equity.iloc[first.fold.stitch_end - first.fold.oos_start - 1].to_numpy()
    targets = sma_crossover(panels, second.params).to_numpy()
    alone = run_vectorized(panels["open"].to_numpy(), panels["close"].to_numpy(), targets, BacktestConfig(),
                           start=second.fold.oos_start, end=second.fold.stitch_end, initial_cash=carried)
    stitched = result.equity.iloc[second.fold.oos_start - 200:second.fold.stitch_end - 200].to_numpy()
    assert np.allclose(alone.equity[second.fold.oos_start:second.fold.stitch_end, :, 0], stitched, rtol=1e-12)


def test_fused_and_generic_walk_forward_agree(panels):
    fused = walk_forward_crossover(panels, [5, 10], [20, 40], WF)
    generic = walk_forward(sma_crossover, panels, {"fast": [5, 10], "slow": [20, 40]}, WF)
    assert [f.params for f in fused.folds] == [f.params for f in generic.folds]
    assert np.allclose(fused.equity.to_numpy(), generic.equity.to_numpy(), rtol=1e-12)


def test_walk_forward_never_looks_past_the_current_fold():
    panels = gbm_panels(600, 2, seed=3)
    base = walk_forward_crossover(panels, [5, 10], [20, 40], WF)
    moved = {k: v.copy() for k, v in panels.items()}
    for frame in moved.values():
        frame.iloc[400:] *= 1.7  # change everything after fold 1's OOS window
    shifted = walk_forward_crossover(moved, [5, 10], [20, 40], WF)
    assert [f.params for f in base.folds[:2]] == [f.params for f in shifted.folds[:2]]
    pd.testing.assert_frame_equal(base.equity.iloc[:200], shifted.equity.iloc[:200])


def test_parameter_stability_counts_choices(panels):
    result = walk_forward_crossover(panels, [5, 10], [20, 40], WF)
    fast = next(p for p in result.parameter_stability if p.name == "fast")
    chosen = [f.params["fast"] for f in result.folds]
    assert sum(fast.counts.values()) == len(chosen)
    assert fast.changes == sum(a != b for a, b in zip(chosen, chosen[1:], strict=False))
    assert np.isclose(fast.mean, np.mean(chosen))
    assert result.to_dict()["parameter_stability"][0]["name"] == "fast"


def test_walk_forward_engine_runs_the_seed_interface(panels):
    from quant.backtest.walkforward import WalkForwardEngine

    result = WalkForwardEngine().run(sma_crossover, panels, {"fast": [5], "slow": [20]}, WF, BacktestConfig())
    assert len(result.folds) == 4 and all(f.params == {"fast": 5, "slow": 20} for f in result.folds)
