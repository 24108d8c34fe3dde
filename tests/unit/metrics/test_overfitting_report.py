"""assess_overfitting: the deflated Sharpe and CSCV PBO block that grids and walk-forwards carry."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from errors import ConfigError
from quant.metrics.overfitting import (
    assess_overfitting,
    cscv_blocks,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
)


def _best_column(m: np.ndarray) -> int:
    return int(np.argmax(m.mean(axis=0) / m.std(axis=0, ddof=1)))


def test_pure_noise_strategies_have_pbo_near_one_half_and_a_deflated_sharpe_far_below_the_naive_one():
    # iid noise: the in-sample winner's out-of-sample rank is uniform, so P(logit <= 0) is about 1/2
    pbos, deflated = [], []
    for seed in range(8):
        m = np.random.default_rng(seed).normal(0.0, 0.01, (1000, 50))
        selected = _best_column(m)
        report = assess_overfitting(m, selected)
        naive = probabilistic_sharpe_ratio(report.sharpe, 0.0, 1000, 0.0, 3.0)
        assert naive > 0.95  # undeflated, the luckiest of 50 looks like skill
        pbos.append(report.pbo)
        deflated.append(report.deflated_sharpe)
    assert 0.35 < np.mean(pbos) < 0.65
    assert np.mean(deflated) < 0.7


def test_one_genuinely_dominant_set_has_pbo_zero_and_a_deflated_sharpe_near_one():
    m = np.random.default_rng(11).normal(0.0, 0.01, (1000, 50))
    m[:, 7] += 0.003  # per-period Sharpe about 0.3 against noise
    report = assess_overfitting(m, _best_column(m))
    assert report.selected == 7
    assert report.pbo == 0.0
    assert report.deflated_sharpe > 0.99


def test_report_counts_every_column_as_a_trial_and_takes_the_variance_of_finite_sharpes():
    rng = np.random.default_rng(5)
    m = rng.normal(0.0005, 0.01, (400, 6))
    m[:, 2] = 0.0  # a set that never trades: no Sharpe ratio, still a trial
    report = assess_overfitting(m, 0)
    traded = np.delete(m, 2, axis=1)
    sharpes = traded.mean(axis=0) / traded.std(axis=0, ddof=1)
    assert report.n_trials == 6
    assert report.sharpe_variance == pytest.approx(np.var(sharpes, ddof=1))
    assert report.n_obs == 400
    assert report.pbo == probability_of_backtest_overfitting(m, 16).pbo
    assert report.n_splits == math.comb(16, 8)


def test_pbo_is_absent_with_one_set_or_too_few_rows_and_the_verdict_says_so():
    one = assess_overfitting(np.random.default_rng(1).normal(0, 0.01, (300, 1)), 0)
    assert one.pbo is None and one.pbo_note
    short = assess_overfitting(np.random.default_rng(1).normal(0, 0.01, (10, 4)), 0)
    assert short.pbo is None and "16" in short.pbo_note
    assert short.verdict().startswith("PBO n/a, deflated Sharpe p=")
    assert short.to_dict()["pbo"] is None


def test_verdict_is_one_line_with_pbo_p_value_and_trial_count():
    m = np.random.default_rng(2).normal(0.0, 0.01, (500, 12))
    report = assess_overfitting(m, 3)
    assert report.verdict() == f"PBO {report.pbo:.2f}, deflated Sharpe p={report.deflated_sharpe:.2f} over 12 trials"
    assert report.to_dict()["verdict"] == report.verdict()


def test_cscv_blocks_keep_at_least_eight_rows_per_block():
    assert cscv_blocks(1000) == 16
    assert cscv_blocks(100) == 12
    assert cscv_blocks(16) == 2
    assert cscv_blocks(15) == 0


def test_selected_column_outside_the_matrix_is_a_config_error():
    with pytest.raises(ConfigError):
        assess_overfitting(np.zeros((100, 3)), 3)


def _pbo_by_definition(m: np.ndarray, n_blocks: int) -> float:
    """CSCV written out split by split (the paper's loop) as the reference for the batched version."""
    blocks = np.array_split(np.arange(len(m)), n_blocks)
    logits = []
    for train in itertools.combinations(range(n_blocks), n_blocks // 2):
        rows_is = np.concatenate([blocks[b] for b in train])
        rows_oos = np.concatenate([blocks[b] for b in range(n_blocks) if b not in train])
        sd = [m[r].std(0, ddof=1) for r in (rows_is, rows_oos)]
        sharpe = [np.where(s > 0, m[r].mean(0) / np.where(s > 0, s, 1.0), -np.inf)
                  for r, s in zip((rows_is, rows_oos), sd, strict=True)]
        omega = stats.rankdata(sharpe[1])[int(np.argmax(sharpe[0]))] / (m.shape[1] + 1.0)
        logits.append(math.log(omega / (1 - omega)))
    return float(np.mean(np.array(logits) <= 0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batched_cscv_equals_the_split_by_split_definition(seed):
    m = np.random.default_rng(seed).normal(0.0, 0.01, (240, 9))
    m[:, 4] = 0.0  # never moves: ranked last in every split
    m[:, 6] = m[:, 5]  # an exact tie
    assert probability_of_backtest_overfitting(m, 10).pbo == _pbo_by_definition(m, 10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100.0), n_sets=st.integers(2, 12))
def test_overfitting_does_not_depend_on_return_units_or_on_the_order_trials_are_listed(seed, scale, n_sets):
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0002, 0.01, (160, n_sets))
    selected = _best_column(m)
    base = assess_overfitting(m, selected)
    scaled = assess_overfitting(m * scale, selected)
    order = rng.permutation(n_sets)
    shuffled = assess_overfitting(m[:, order], int(np.flatnonzero(order == selected)[0]))
    assert 0.0 <= base.pbo <= 1.0 and 0.0 <= base.deflated_sharpe <= 1.0
    for other in (scaled, shuffled):
        assert other.pbo == pytest.approx(base.pbo)
        assert other.deflated_sharpe == pytest.approx(base.deflated_sharpe, abs=1e-9)
