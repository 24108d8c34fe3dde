from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errors import ConfigError, DataError
from quant.research.montecarlo import PERCENTILES, bootstrap_returns, bootstrap_trades


def _ordered(p) -> bool:
    values = [p.p5, p.p25, p.p50, p.p75, p.p95]
    return all(a <= b for a, b in zip(values, values[1:], strict=False))


@pytest.fixture(scope="module")
def daily_returns():
    return np.random.default_rng(7).normal(0.0005, 0.012, 750)


def test_return_bootstrap_percentiles_are_ordered(daily_returns):
    result = bootstrap_returns(daily_returns, n_paths=2000, seed=3)
    for stat in (result.final_equity, result.max_drawdown_pct, result.sharpe):
        assert _ordered(stat)
    fan = np.array([result.fan[f"p{p}"] for p in PERCENTILES])
    assert (np.diff(fan, axis=0) >= -1e-12).all()
    assert result.fan["step"][0] == 0 and result.fan["step"][-1] == result.n_steps
    assert fan[:, 0] == pytest.approx([1.0] * 5)


def test_same_seed_gives_identical_results_and_another_seed_differs(daily_returns):
    first = bootstrap_returns(daily_returns, n_paths=500, seed=11)
    again = bootstrap_returns(daily_returns, n_paths=500, seed=11)
    other = bootstrap_returns(daily_returns, n_paths=500, seed=12)
    assert first.to_dict() == again.to_dict()
    assert first.final_equity != other.final_equity


def test_constant_daily_return_gives_a_degenerate_distribution():
    result = bootstrap_returns(np.full(250, 0.001), initial_equity=100.0, n_paths=300, n_days=400, seed=1)
    expected_final = 100.0 * 1.001**400
    final = result.final_equity
    assert [final.p5, final.p25, final.p50, final.p75, final.p95] == pytest.approx([expected_final] * 5, rel=1e-9)
    assert result.max_drawdown_pct.p95 == 0.0
    assert result.sharpe.p50 is None  # zero volatility: Sharpe undefined, reported as None
    assert result.probability_of_loss == 0.0


def test_iid_bootstrap_median_final_equity_matches_the_hand_computed_expectation():
    # i.i.d. draws (mean_block_days=1) from two equally frequent returns: the number of up days
    # is Binomial(100, 1/2), whose median 50 gives log final = 50·ln 1.01 + 50·ln 0.995.
    returns = np.array([0.01, -0.005] * 50)
    result = bootstrap_returns(returns, n_paths=4000, n_days=100, mean_block_days=1.0, seed=5)
    median_log = 50 * np.log(1.01) + 50 * np.log(0.995)
    assert np.log(result.final_equity.p50) == pytest.approx(median_log, abs=0.02)


def test_trade_bootstrap_final_equity_is_centred_on_the_sum_of_mean_pnls():
    pnls = np.array([120.0, -80.0, 40.0, -20.0, 60.0])
    result = bootstrap_trades(pnls, initial_equity=10_000.0, n_paths=4000, seed=2)
    expected_mean = 10_000.0 + len(pnls) * pnls.mean()
    assert result.final_equity.mean == pytest.approx(expected_mean, rel=0.005)
    assert result.final_equity.p5 >= 10_000.0 + 5 * pnls.min() - 1e-9
    assert result.final_equity.p95 <= 10_000.0 + 5 * pnls.max() + 1e-9
    assert _ordered(result.max_drawdown_pct)


def test_trades_that_all_win_never_draw_down():
    result = bootstrap_trades([10.0, 25.0, 5.0], initial_equity=1000.0, n_paths=200, n_trades=30, seed=0)
    assert result.max_drawdown_pct.p95 == 0.0
    assert result.probability_of_loss == 0.0


@settings(max_examples=25, deadline=None)
@given(
    pnls=st.lists(st.floats(-500, 500, allow_nan=False), min_size=1, max_size=40),
    seed=st.integers(0, 2**32 - 1),
)
def test_trade_bootstrap_percentiles_are_always_ordered(pnls, seed):
    result = bootstrap_trades(pnls, initial_equity=1e5, n_paths=64, seed=seed)
    assert _ordered(result.final_equity)
    assert _ordered(result.max_drawdown_pct)
    assert result.max_drawdown_pct.p5 >= 0.0


def test_bad_inputs_are_refused():
    with pytest.raises(DataError, match="-100 %"):
        bootstrap_returns([0.01, -1.0])
    with pytest.raises(DataError):
        bootstrap_trades([], initial_equity=1.0)
    with pytest.raises(ConfigError, match="initial_equity"):
        bootstrap_trades([1.0], initial_equity=0.0)
    with pytest.raises(ConfigError, match="n_paths=0"):
        bootstrap_returns([0.01, 0.02], n_paths=0)
