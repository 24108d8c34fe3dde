from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from errors import ConfigError, DataError
from quant.portfolio import METHODS, optimize_portfolio

_EXTRA = {
    "efficient_return": {"target_return": 0.15},
    "efficient_risk": {"target_volatility": 0.22},
    "black_litterman": {"views": {"AAPL": (0.25, 0.6)}},
}


@pytest.mark.parametrize("covariance", ["ledoit_wolf", "sample", "exp"])
@pytest.mark.parametrize("method", METHODS)
def test_every_method_returns_weights_that_sum_to_one_within_bounds(closes, method, covariance):
    extra = _EXTRA.get(method, {})
    result = optimize_portfolio(closes, method, weight_bounds=(0.01, 0.25), covariance=covariance, **extra)

    weights = np.array(list(result.weights.values()))
    assert set(result.weights) == set(closes.columns)
    assert abs(weights.sum() - 1.0) <= 1e-9
    assert weights.min() >= 0.01 - 1e-12
    assert weights.max() <= 0.25 + 1e-12
    assert result.method == method and result.covariance == covariance
    assert result.annual_volatility > 0


def test_reported_statistics_match_the_weights(closes):
    result = optimize_portfolio(closes, "min_volatility", covariance="sample")

    returns = closes.pct_change().dropna()
    w = pd.Series(result.weights)[closes.columns]
    realised_vol = float(np.sqrt(w @ returns.cov() @ w * 252))
    assert result.annual_volatility == pytest.approx(realised_vol, rel=1e-6)


def test_min_volatility_is_no_riskier_than_any_other_method(closes):
    floor = optimize_portfolio(closes, "min_volatility").annual_volatility
    for method in ("max_sharpe", "hrp", "risk_parity"):
        assert optimize_portfolio(closes, method).annual_volatility >= floor - 1e-9


def test_efficient_return_hits_its_target(closes):
    result = optimize_portfolio(closes, "efficient_return", target_return=0.2)
    assert result.expected_annual_return == pytest.approx(0.2, abs=1e-4)


def test_group_cap_limits_the_total_weight_of_its_members(closes):
    tech = ("AAPL", "AMD", "MSFT")
    for method in ("max_sharpe", "risk_budgeting"):
        result = optimize_portfolio(closes, method, group_caps={"tech": (tech, 0.1)})
        assert sum(result.weights[s] for s in tech) <= 0.1 + 1e-7


def test_black_litterman_tilts_toward_a_bullish_view(closes):
    neutral = optimize_portfolio(closes, "black_litterman", views={"KO": (0.0, 0.5)})
    bullish = optimize_portfolio(closes, "black_litterman", views={"KO": (0.6, 0.9)})
    assert bullish.weights["KO"] > neutral.weights["KO"] + 0.05


def test_black_litterman_without_views_holds_the_market_prior(closes):
    caps = {s: (3.0 if s == "XOM" else 1.0) for s in closes.columns}
    prior = optimize_portfolio(closes, "black_litterman", market_caps=caps)
    # with no views the expected returns are the market-implied ones, so max Sharpe gives back the market portfolio
    market = {s: c / sum(caps.values()) for s, c in caps.items()}
    assert prior.weights == pytest.approx(market, abs=1e-4)


def test_black_litterman_uses_given_market_caps_as_prior(closes):
    caps = {s: (100.0 if s == "XOM" else 1.0) for s in closes.columns}
    heavy = optimize_portfolio(closes, "black_litterman", views={"KO": (0.05, 0.1)}, market_caps=caps)
    equal = optimize_portfolio(closes, "black_litterman", views={"KO": (0.05, 0.1)})
    assert heavy.weights["XOM"] > equal.weights["XOM"]


def test_hrp_never_returns_negative_weights_even_when_shorts_are_allowed(closes):
    result = optimize_portfolio(closes, "hrp", weight_bounds=(-1.0, 1.0))
    assert min(result.weights.values()) >= 0.0


def test_risk_parity_equalises_risk_contributions(closes):
    result = optimize_portfolio(closes, "risk_parity", covariance="sample")
    w = pd.Series(result.weights)[closes.columns].to_numpy()
    cov = closes.pct_change().dropna().cov().to_numpy()
    contributions = w * (cov @ w)
    assert contributions.max() / contributions.min() < 1.05


def test_future_prices_do_not_move_weights_computed_as_of_a_past_date(closes):
    as_of = closes.index[-200]
    perturbed = closes.copy()
    perturbed.iloc[-199:] *= np.linspace(0.5, 3.0, 199)[:, None]

    for method in ("max_sharpe", "hrp", "black_litterman"):
        kwargs = _EXTRA.get(method, {})
        original = optimize_portfolio(closes, method, as_of=as_of, **kwargs)
        moved = optimize_portfolio(perturbed, method, as_of=as_of, **kwargs)
        assert original.weights == moved.weights
        assert original.as_of == pd.Timestamp(as_of).isoformat()


def test_as_of_accepts_utc_aware_timestamps_against_a_naive_index(closes):
    as_of = pd.Timestamp(closes.index[-10]).tz_localize("UTC")
    result = optimize_portfolio(closes, "min_volatility", as_of=as_of)
    assert result.n_observations == len(closes) - 9


def test_lookback_days_limits_the_rows_used(closes):
    assert optimize_portfolio(closes, "hrp", lookback_days=100).n_observations == 100


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"method": "kelly"}, "unknown optimisation method 'kelly'"),
        ({"method": "max_sharpe", "covariance": "garch"}, "unknown covariance 'garch'"),
        ({"method": "efficient_return", "target_return": 5.0}, "infeasible"),
        ({"method": "efficient_risk", "target_volatility": 0.01}, "infeasible"),
        ({"method": "efficient_return"}, "needs target_return"),
        ({"method": "black_litterman", "views": {"ZZZZ": (0.1, 0.5)}}, "unknown symbol 'ZZZZ'"),
        ({"method": "max_sharpe", "group_caps": {"g": (["ZZZZ"], 0.2)}}, "unknown symbols ['ZZZZ']"),
        ({"method": "max_sharpe", "weight_bounds": (0.0, 0.01)}, "cannot sum to 1"),
        ({"method": "hrp", "group_caps": {"g": (["AAPL"], 0.2)}}, "not supported by hrp"),
        ({"method": "risk_budgeting", "group_caps": {"all": (["AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ",
          "JPM", "KO", "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM"], 0.5)}}, "infeasible"),
    ],
)
def test_bad_requests_raise_config_error_naming_the_problem(closes, kwargs, fragment):
    with pytest.raises(ConfigError) as info:
        optimize_portfolio(closes, **kwargs)
    assert fragment in str(info.value)


def test_non_positive_prices_are_a_data_error(closes):
    broken = closes.copy()
    broken.iloc[5, 2] = -1.0
    with pytest.raises(DataError, match=str(closes.columns[2])):
        optimize_portfolio(broken, "min_volatility")


def test_black_litterman_views_may_be_pairs_mappings_or_view_objects(closes):
    from quant.portfolio import BlackLittermanView

    as_pair = optimize_portfolio(closes, "black_litterman", views={"KO": (0.3, 0.7)})
    as_mapping = optimize_portfolio(closes, "black_litterman", views={"KO": {"expected_annual_return": 0.3,
                                                                             "confidence": 0.7}})
    as_object = optimize_portfolio(closes, "black_litterman", views={"KO": BlackLittermanView(0.3, 0.7)})
    assert as_pair.weights == as_mapping.weights == as_object.weights
    with pytest.raises(ConfigError, match="view for KO"):
        optimize_portfolio(closes, "black_litterman", views={"KO": {"confidence": 0.7}})
