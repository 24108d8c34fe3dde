from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from errors import DataError
from quant.research.attribution import FACTOR_SYMBOLS, bundled_factor_returns, factor_attribution


@pytest.fixture(scope="module")
def factors():
    return bundled_factor_returns()


def test_bundled_factor_returns_are_daily_returns_of_the_five_etfs(factors):
    assert tuple(factors.columns) == FACTOR_SYMBOLS
    assert factors.notna().all().all()
    assert factors.abs().max().max() < 0.5


def test_attribution_recovers_known_betas_and_alpha(factors):
    betas = np.array([0.6, -0.3, 0.2, 0.9, 0.1])
    alpha_daily = 0.0002
    noise = np.random.default_rng(0).normal(0.0, 0.001, len(factors))
    strategy = pd.Series(alpha_daily + factors.to_numpy() @ betas + noise, index=factors.index)

    result = factor_attribution(strategy, factors)

    assert list(result.betas()) == list(FACTOR_SYMBOLS)
    assert np.array(list(result.betas().values())) == pytest.approx(betas, abs=0.05)
    assert result.alpha_annual == pytest.approx(alpha_daily * 252, abs=0.02)
    assert result.r_squared > 0.9
    assert all(abs(e.t_stat) > 3 for e in result.exposures)
    assert result.n_observations == len(factors)


def test_contributions_and_alpha_add_up_to_the_strategy_return(factors):
    strategy = pd.Series(factors.to_numpy() @ np.array([0.5, 0.5, 0, 0, 0]), index=factors.index) + 0.0001
    result = factor_attribution(strategy, factors)
    explained = result.alpha_annual + sum(e.annual_contribution for e in result.exposures)
    assert explained == pytest.approx(result.strategy_annual_return, abs=1e-10)


def test_strategy_returns_on_a_utc_index_align_with_naive_factor_dates(factors):
    strategy = factors["USMV"].copy()
    strategy.index = strategy.index.tz_localize("UTC")
    result = factor_attribution(strategy, factors)
    assert result.betas()["USMV"] == pytest.approx(1.0, abs=1e-9)


def test_too_few_overlapping_days_is_a_data_error(factors):
    short = pd.Series([0.01, 0.02], index=pd.to_datetime(["1999-01-04", "1999-01-05"]))
    with pytest.raises(DataError, match="overlapping days"):
        factor_attribution(short, factors)
