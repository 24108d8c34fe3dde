import sys

import numpy as np
import pytest

from errors import ConfigError
from quant.backtest.config import BacktestConfig
from quant.backtest.engine import backtest
from quant.backtest.grid import crossover_pairs, expand_grid, run_crossover_grid, run_grid
from quant.backtest.grid_kernels import GRID_STATS
from quant.metrics.performance import compute_metrics
from tests.unit.backtest.conftest import ema_crossover, sma_crossover

FAST = range(5, 55, 5)
SLOW = range(20, 210, 10)


def test_standard_grid_has_174_valid_pairs_and_skips_16():
    fast, slow, skipped = crossover_pairs(FAST, SLOW)
    assert len(fast) == 174 and skipped == 16
    assert (slow > fast).all()


def test_grid_counts_skipped_pairs_and_runs_only_valid_ones(panels):
    grid = run_crossover_grid(panels["open"], panels["close"], [10, 30], [20, 30, 40])
    assert grid.skipped == 2  # (30, 20) and (30, 30)
    assert [p for p in grid.params] == [{"fast": 10, "slow": 20}, {"fast": 10, "slow": 30}, {"fast": 10, "slow": 40},
                                        {"fast": 30, "slow": 40}]
    assert grid.n_backtests == 4 * 4


@pytest.mark.parametrize(("kind", "signal"), [("sma", sma_crossover), ("ema", ema_crossover)])
@pytest.mark.parametrize("short", [False, True])
def test_fused_grid_equals_the_generic_grid_on_pandas_moving_averages(panels, kind, signal, short):
    config = BacktestConfig(commission_bps=2, commission_per_share=0.01, allow_short=short)

    def reference(p, params):
        long = signal(p, params)
        if not short:
            return long
        flipped = signal(p, {"fast": params["slow"], "slow": params["fast"]})  # fast < slow
        return long - flipped

    fused = run_crossover_grid(panels["open"], panels["close"], [5, 10], [20, 50], kind, config)
    generic = run_grid(reference, panels, fused.params, config)
    assert np.allclose(fused.stats, generic.stats, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_grid_stats_match_compute_metrics_of_the_full_backtest(panels):
    config = BacktestConfig()
    grid = run_crossover_grid(panels["open"], panels["close"], [10], [50], config=config)
    result = backtest(panels, sma_crossover(panels, {"fast": 10, "slow": 50}), config)
    for i, symbol in enumerate(grid.symbols):
        m = result.metrics[symbol]
        got = dict(zip(GRID_STATS, grid.stats[0, i], strict=True))
        assert np.isclose(got["total_return"], m.total_return, rtol=1e-10)
        assert np.isclose(got["sharpe"], m.sharpe, rtol=1e-8)
        assert np.isclose(got["sortino"], m.sortino, rtol=1e-8)
        assert np.isclose(got["max_drawdown"], m.max_drawdown, rtol=1e-10)
        assert np.isclose(got["cagr"], m.cagr, rtol=1e-10)
        assert got["trades"] == m.trade_count
        assert np.isclose(got["exposure"], m.exposure)
    assert isinstance(compute_metrics(result.equity["S0"]).sharpe, float)


def test_grid_window_trades_only_inside_start_end(panels):
    full = run_crossover_grid(panels["open"], panels["close"], [5], [20])
    window = run_crossover_grid(panels["open"], panels["close"], [5], [20], start=300, end=400)
    assert window.stats[0, :, GRID_STATS.index("trades")].sum() < full.stats[0, :, GRID_STATS.index("trades")].sum()


def test_best_orders_parameter_sets_by_the_symbol_averaged_objective(panels):
    grid = run_crossover_grid(panels["open"], panels["close"], [5, 10, 15], [30, 60])
    best = grid.best("total_return", top=3)
    averaged = grid.stats[:, :, GRID_STATS.index("total_return")].mean(axis=1)
    assert best[0]["params"] == grid.params[int(np.argmax(averaged))]
    assert [b["total_return"] for b in best] == sorted((b["total_return"] for b in best), reverse=True)
    assert grid.best("sharpe", min_trades=10**9)[0]["sharpe"] == -np.inf


def test_unknown_kind_or_executor_is_a_config_error(panels):
    with pytest.raises(ConfigError):
        run_crossover_grid(None, panels["close"], [5], [20], kind="wma")
    with pytest.raises(ConfigError):
        run_grid(sma_crossover, panels, {"fast": [5], "slow": [20]}, executor="spark")


def test_ray_executor_without_ray_installed_says_install_ray(panels, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # an install without the optional package: import fails
    with pytest.raises(ConfigError, match="install ray"):
        run_grid(sma_crossover, panels, {"fast": [5], "slow": [20]}, executor="ray")


def test_expand_grid_is_the_cartesian_product_in_order():
    assert expand_grid({"a": [1, 2], "b": ["x"]}) == ({"a": 1, "b": "x"}, {"a": 2, "b": "x"})
    assert expand_grid([{"a": 3}]) == ({"a": 3},)


@pytest.mark.slow
def test_process_executor_gives_the_same_grid_as_local(panels):
    grid = {"fast": [5, 10], "slow": [20, 40]}
    local = run_grid(sma_crossover, panels, grid)
    pooled = run_grid(sma_crossover, panels, grid, executor="process", max_workers=2)
    assert local.params == pooled.params
    assert np.array_equal(local.stats, pooled.stats, equal_nan=True)


@pytest.mark.parametrize("sizing", ["fixed_fraction", "volatility_target", "risk_per_trade"])
def test_fused_grid_applies_every_sizing_rule_like_the_engine(panels, sizing):
    config = BacktestConfig(sizing=sizing, fixed_fraction=0.4, volatility_lookback_bars=15)
    fused = run_crossover_grid(panels["open"], panels["close"], [5], [20, 40], config=config)
    generic = run_grid(sma_crossover, panels, fused.params, config)
    assert np.allclose(fused.stats, generic.stats, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_window_outside_the_data_is_refused_before_any_kernel_runs(panels):
    with pytest.raises(ConfigError):
        run_crossover_grid(panels["open"], panels["close"], [5], [20], start=500, end=10_000)
    with pytest.raises(ConfigError):
        run_crossover_grid(panels["open"], panels["close"], [5], [20], start=50, end=50)
