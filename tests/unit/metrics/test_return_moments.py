"""Per-block sufficient statistics (ReturnMoments) carry everything the overfitting statistics need:
PBO, Sharpe ratios of any union of blocks, and the deflated Sharpe, equal to what the returns
themselves give. The references are the definitions and the matrix implementation they replaced."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from quant.backtest.grid_moments import fold_summed_returns
from quant.metrics.cscv import cscv
from quant.metrics.overfitting import assess_overfitting_moments, deflated_sharpe_ratio
from quant.metrics.return_moments import ReturnMoments, block_bounds, sharpe_from_sums
from tests.unit.metrics.test_overfitting_report import _pbo_by_definition


def _pbo_matrix_reference(m: np.ndarray, n_blocks: int) -> tuple[float, np.ndarray]:
    """The batched matrix CSCV this module replaced (block sums as matrix products), as it was."""
    blocks = np.array_split(np.arange(m.shape[0]), n_blocks)
    counts = np.array([len(b) for b in blocks], dtype=np.float64)
    sums = np.stack([m[b].sum(axis=0) for b in blocks])
    squares = np.stack([(m[b] ** 2).sum(axis=0) for b in blocks])
    splits = np.array(list(itertools.combinations(range(n_blocks), n_blocks // 2)), dtype=np.int64)
    train = np.zeros((len(splits), n_blocks))
    np.put_along_axis(train, splits, 1.0, axis=1)
    test = 1.0 - train
    is_perf = sharpe_from_sums((train @ counts)[:, None], train @ sums, train @ squares)
    oos_perf = sharpe_from_sums((test @ counts)[:, None], test @ sums, test @ squares)
    best = np.argmax(is_perf, axis=1)
    best_oos = oos_perf[np.arange(len(splits)), best][:, None]
    rank = (oos_perf < best_oos).sum(axis=1) + ((oos_perf == best_oos).sum(axis=1) + 1) / 2.0
    omega = rank / (m.shape[1] + 1.0)
    logits = np.log(omega / (1.0 - omega))
    return float(np.mean(logits <= 0.0)), logits


def _returns(seed: int, rows: int, n_sets: int, drift: float, ties: bool, dead: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = rng.normal(drift, 0.01, (rows, n_sets)) * rng.uniform(0.2, 3.0, n_sets)
    if ties and n_sets > 2:
        m[:, 1] = m[:, 0]  # an exact tie between two sets
    if dead and n_sets > 2:
        m[:, -1] = 0.0  # a set that never trades: no Sharpe ratio, ranked last
    return m


MATRICES = st.builds(_returns, seed=st.integers(0, 2**32 - 1), rows=st.integers(40, 400), n_sets=st.integers(2, 12),
                     drift=st.floats(-0.005, 0.005), ties=st.booleans(), dead=st.booleans())


@settings(max_examples=60, deadline=None)
@given(n_rows=st.integers(0, 500), n_blocks=st.integers(1, 20))
def test_blocks_cut_the_rows_as_numpy_array_split_does(n_rows, n_blocks):
    expected = np.cumsum([0] + [len(b) for b in np.array_split(np.arange(n_rows), n_blocks)])
    np.testing.assert_array_equal(block_bounds(n_rows, n_blocks), expected)


@settings(max_examples=40, deadline=None)
@given(m=MATRICES, n_blocks=st.sampled_from([2, 4, 6, 8, 10]))
def test_sufficient_statistics_pbo_equals_the_split_by_split_definition_and_the_matrix_version(m, n_blocks):
    result = cscv(ReturnMoments.from_returns(m, n_blocks))
    matrix_pbo, matrix_logits = _pbo_matrix_reference(m, n_blocks)

    assert result.pbo == _pbo_by_definition(m, n_blocks)
    assert result.pbo == matrix_pbo
    np.testing.assert_allclose(result.logits, matrix_logits, rtol=1e-12)
    assert result.n_splits == math.comb(n_blocks, n_blocks // 2)


@settings(max_examples=40, deadline=None)
@given(m=MATRICES, n_blocks=st.sampled_from([2, 4, 8, 16]), data=st.data())
def test_the_sums_of_any_union_of_blocks_give_the_sharpe_of_those_rows(m, n_blocks, data):
    moments = ReturnMoments.from_returns(m, n_blocks)
    chosen = sorted(data.draw(st.sets(st.integers(0, n_blocks - 1), min_size=1)))
    bounds = block_bounds(len(m), n_blocks)
    rows = m[np.concatenate([np.arange(bounds[b], bounds[b + 1]) for b in chosen])]

    sums = moments.power_sums[:, chosen].sum(axis=1)
    sharpe = sharpe_from_sums(float(moments.counts[chosen].sum()), sums[0], sums[1])
    sd = rows.std(axis=0, ddof=1)
    expected = np.where(sd > 0, rows.mean(axis=0) / np.where(sd > 0, sd, 1.0), -np.inf)
    np.testing.assert_allclose(sharpe, expected, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(m=MATRICES, n_blocks=st.sampled_from([1, 4, 16]))
def test_column_moments_equal_numpy_and_scipy_on_the_rows(m, n_blocks):
    moments = ReturnMoments.from_returns(m, n_blocks)
    for j in range(m.shape[1]):
        column, r = moments.column(j), m[:, j]
        assert column.n_obs == len(r)
        assert column.mean == pytest.approx(r.mean(), rel=1e-9, abs=1e-15)
        assert column.std == pytest.approx(r.std(ddof=1), rel=1e-9, abs=1e-15)
        if r.std() == 0:
            assert math.isnan(column.sharpe) and math.isnan(column.skew) and math.isnan(column.kurtosis)
            continue
        assert column.sharpe == pytest.approx(r.mean() / r.std(ddof=1), rel=1e-9)
        assert column.skew == pytest.approx(stats.skew(r), rel=1e-7, abs=1e-9)
        assert column.kurtosis == pytest.approx(stats.kurtosis(r, fisher=False), rel=1e-9)


def _deflated_sharpe_reference(r: np.ndarray, n_trials: int, sharpe_variance: float) -> float:
    """The scipy formulation the module used before (norm.cdf / norm.ppf, scipy skew and kurtosis)."""
    sharpe = r.mean() / r.std(ddof=1)
    z1, z2 = stats.norm.ppf(1 - 1 / n_trials), stats.norm.ppf(1 - 1 / (n_trials * math.e))
    sr0 = math.sqrt(sharpe_variance) * ((1 - 0.5772156649015329) * z1 + 0.5772156649015329 * z2)
    skew, kurt = stats.skew(r), stats.kurtosis(r, fisher=False)
    denom = 1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2
    return float(stats.norm.cdf((sharpe - sr0) * math.sqrt(len(r) - 1) / math.sqrt(denom)))


@settings(max_examples=40, deadline=None)
@given(m=MATRICES, n_trials=st.integers(2, 500), variance=st.floats(1e-6, 1e-2))
def test_deflated_sharpe_from_moments_equals_the_scipy_formulation(m, n_trials, variance):
    r = m[:, 0]
    got = deflated_sharpe_ratio(r, n_trials=n_trials, sharpe_variance=variance).probability
    assert got == pytest.approx(_deflated_sharpe_reference(r, n_trials, variance), rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(16, 300), n_sets=st.integers(1, 8),
       n_blocks=st.sampled_from([1, 2, 6, 16]), zero_bar=st.booleans())
def test_folding_summed_equity_gives_the_moments_of_its_materialised_returns(seed, rows, n_sets, n_blocks, zero_bar):
    rng = np.random.default_rng(seed)
    equity = 100_000.0 * np.cumprod(1 + rng.normal(0.0003, 0.01, (n_sets, rows)), axis=1)
    if zero_bar:
        equity[0, rows // 2] = 0.0  # a wiped-out bar: its return and the next are not finite, counted as 0
    base = 100_000.0
    folded = ReturnMoments.empty(rows, n_blocks, n_sets)
    fold_summed_returns(equity, base, block_bounds(rows, n_blocks), folded.power_sums)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = equity.T / np.vstack([np.full((1, n_sets), base), equity.T[:-1]]) - 1.0
    expected = ReturnMoments.from_returns(returns, n_blocks)

    np.testing.assert_array_equal(folded.counts, expected.counts)
    np.testing.assert_allclose(folded.power_sums, expected.power_sums, rtol=1e-10, atol=1e-18)


def test_the_report_from_moments_keeps_no_returns_and_reads_the_same_as_from_the_matrix():
    m = _returns(3, 2000, 30, 0.0002, ties=True, dead=True)
    moments = ReturnMoments.from_returns(m, 16)
    report = assess_overfitting_moments(moments, 5)

    assert moments.power_sums.shape == (4, 16, 30) and moments.counts.sum() == 2000
    assert report.pbo == _pbo_matrix_reference(m, 16)[0]
    assert report.deflated_sharpe == pytest.approx(
        _deflated_sharpe_reference(m[:, 5], 30, report.sharpe_variance), rel=1e-9)
