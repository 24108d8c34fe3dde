import math

import numpy as np
import pytest
from scipy import stats

from errors import ConfigError
from quant.metrics.overfitting import (
    EULER_GAMMA,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
)


def test_psr_is_one_half_at_the_benchmark_and_grows_with_sample_length():
    assert probabilistic_sharpe_ratio(0.1, 0.1, 500) == pytest.approx(0.5)
    assert probabilistic_sharpe_ratio(0.1, 0.0, 1000) > probabilistic_sharpe_ratio(0.1, 0.0, 100)


def test_psr_matches_the_paper_formula():
    sr, n, skew, kurt = 0.08, 750, -0.5, 5.0
    z = sr * math.sqrt(n - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    assert probabilistic_sharpe_ratio(sr, 0.0, n, skew, kurt) == pytest.approx(stats.norm.cdf(z))


def test_expected_max_sharpe_follows_the_false_strategy_theorem():
    n, var = 100, 0.04
    expected = math.sqrt(var) * ((1 - EULER_GAMMA) * stats.norm.ppf(1 - 1 / n)
                                 + EULER_GAMMA * stats.norm.ppf(1 - 1 / (n * math.e)))
    assert expected_max_sharpe(var, n) == pytest.approx(expected)
    assert expected_max_sharpe(var, 1) == 0.0
    assert expected_max_sharpe(var, 1000) > expected_max_sharpe(var, 10)


def test_deflated_sharpe_falls_as_trials_grow():
    rng = np.random.default_rng(1)
    returns = rng.normal(0.001, 0.01, 1000)
    few = deflated_sharpe_ratio(returns, n_trials=2, sharpe_variance=0.002)
    many = deflated_sharpe_ratio(returns, n_trials=1000, sharpe_variance=0.002)
    assert many.probability < few.probability
    single = deflated_sharpe_ratio(returns, n_trials=1, sharpe_variance=0.002)
    assert single.probability == pytest.approx(probabilistic_sharpe_ratio(single.sharpe, 0.0, 1000, single.skew,
                                                                          single.kurtosis))


def test_pbo_is_zero_when_one_strategy_truly_dominates():
    rng = np.random.default_rng(2)
    returns = rng.normal(0, 0.01, (800, 20))
    returns[:, 7] += 0.004
    assert probability_of_backtest_overfitting(returns, n_blocks=8).pbo == 0.0


def test_pbo_is_high_when_in_sample_winners_are_out_of_sample_losers():
    rng = np.random.default_rng(3)
    n_blocks, rows = 8, 100
    returns = rng.normal(0, 0.002, (n_blocks * rows, 12))
    for j in range(12):  # each strategy: +mu in half the blocks, -mu in the rest (zero true mean)
        signs = rng.permutation([1.0] * (n_blocks // 2) + [-1.0] * (n_blocks // 2))
        returns[:, j] += np.repeat(signs * 0.003, rows)
    result = probability_of_backtest_overfitting(returns, n_blocks=n_blocks)
    assert result.pbo > 0.8
    assert result.n_splits == math.comb(8, 4)


def test_pbo_rejects_odd_blocks_and_single_strategies():
    with pytest.raises(ConfigError):
        probability_of_backtest_overfitting(np.zeros((100, 3)), n_blocks=5)
    with pytest.raises(ConfigError):
        probability_of_backtest_overfitting(np.zeros((100, 1)))
