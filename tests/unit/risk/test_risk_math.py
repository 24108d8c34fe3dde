"""Risk math against independent computations (hand arithmetic, numpy/scipy, skfolio's bundled data)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from errors import ConfigError, DataError
from quant.risk import sizing
from quant.risk.book import Book
from quant.risk.exposure import beta_and_correlation, exposure
from quant.risk.report import generate_risk_report
from quant.risk.stress import historical_scenarios, hypothetical_shock, replay_window, worst_windows
from quant.risk.var import historical_cvar, historical_var, parametric_cvar, parametric_var


@pytest.fixture(scope="module")
def sp500() -> pd.DataFrame:
    from skfolio.datasets import load_sp500_dataset

    return load_sp500_dataset()


def test_historical_var_and_cvar_on_a_hand_checked_series():
    returns = np.array([-0.05, -0.04, -0.03, -0.02, -0.01, 0.0, 0.01, 0.02, 0.03, 0.04, 0.05] * 10)
    # 5% quantile of this sorted set by linear interpolation: numpy agrees; losses are positive
    assert historical_var(returns, 0.95) == pytest.approx(-np.quantile(returns, 0.05))
    assert historical_cvar(returns, 0.95) >= historical_var(returns, 0.95)
    assert historical_var(returns, 0.99) >= historical_var(returns, 0.95)


def test_parametric_var_matches_the_gaussian_formula():
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0005, 0.01, 2000)
    mu, sd = returns.mean(), returns.std(ddof=1)
    assert parametric_var(returns, 0.99) == pytest.approx(-(mu + norm.ppf(0.01) * sd))
    assert parametric_cvar(returns, 0.95) == pytest.approx(-mu + sd * norm.pdf(norm.ppf(0.05)) / 0.05)


def test_var_refuses_too_few_returns_and_bad_confidence():
    with pytest.raises(DataError):
        historical_var([0.01], 0.95)
    with pytest.raises(DataError):
        parametric_var([0.01, 0.02, 0.03], 95)


def test_exposure_splits_long_and_short_dollars():
    result = exposure({"A": Decimal(10), "B": Decimal(-5)}, {"A": Decimal(100), "B": Decimal(50)}, Decimal(2000))
    assert (result.long_usd, result.short_usd, result.gross_usd, result.net_usd) == (1000, 250, 1250, 750)
    assert result.gross_pct == pytest.approx(62.5) and result.net_pct == pytest.approx(37.5)


def test_beta_of_a_levered_benchmark_is_its_leverage():
    bench = pd.Series(np.random.default_rng(1).normal(0, 0.01, 300))
    beta, corr = beta_and_correlation(2 * bench + 0.001, bench)
    assert beta == pytest.approx(2.0) and corr == pytest.approx(1.0)


def test_covid_crash_replay_on_skfolio_data_matches_the_price_ratio(sp500):
    result = replay_window(sp500, {"JPM": 0.5, "KO": 0.5}, "2020-02-19", "2020-03-23", "covid")
    window = sp500.loc["2020-02-19":"2020-03-23"]
    expected = 0.5 * (window["JPM"].iloc[-1] / window["JPM"].iloc[0] - 1) + 0.5 * (
        window["KO"].iloc[-1] / window["KO"].iloc[0] - 1)
    assert result.portfolio_return == pytest.approx(expected) and result.portfolio_return < -0.3


def test_named_scenarios_run_worst_first_and_worst_windows_do_not_overlap(sp500):
    results = historical_scenarios(sp500, {"BAC": 1.0})
    assert {r.name for r in results} >= {"gfc_2008", "covid_2020"}
    assert [r.portfolio_return for r in results] == sorted(r.portfolio_return for r in results)
    worst = worst_windows(sp500, {"BAC": 1.0}, window_days=21, count=3)
    spans = [(w.start, w.end) for w in worst]
    assert all(a[1] <= b[0] or b[1] <= a[0] for i, a in enumerate(spans) for b in spans[i + 1:])
    assert worst[0].portfolio_return <= worst[1].portfolio_return <= worst[2].portfolio_return


def test_hypothetical_shock_uses_symbol_then_sector_moves():
    result = hypothetical_shock({"XOM": 0.5, "CVX": 0.3, "KO": 0.2}, {"energy": -20, "CVX": -10},
                                sectors={"XOM": "energy", "CVX": "energy", "KO": "staples"})
    assert result.portfolio_return == pytest.approx(0.5 * -0.2 + 0.3 * -0.1)


def test_sizing_functions_follow_their_formulas():
    assert sizing.fixed_fractional_shares(100_000, 1.0, 2.5) == 400  # $1,000 risk / $2.50
    assert sizing.atr_shares(100_000, 1.0, 1.25, atr_multiple=2) == 400
    assert sizing.volatility_target_shares(100_000, 10, 40, 50) == 500  # weight 0.25 -> $25k / $50
    assert sizing.kelly_fraction(0.6, 1.0) == pytest.approx(0.2)
    assert sizing.capped_kelly_shares(100_000, 100, 0.6, 1.0) == 100  # half Kelly 10% -> $10k
    assert sizing.capped_kelly_shares(100_000, 100, 0.9, 3.0) == 200  # capped at 20%
    assert sizing.capped_kelly_shares(100_000, 100, 0.3, 1.0) == 0
    with pytest.raises(ConfigError):
        sizing.fixed_fractional_shares(100_000, 1.0, 0)


def test_risk_report_on_skfolio_prices_flags_a_concentrated_book(sp500):
    from guardrails.risk_policy import RiskLimits

    prices = sp500.loc[:"2022-12-28"]
    last = prices.iloc[-1]
    book = Book.marked(20_000, {"AAPL": 400, "MSFT": 100}, {"AAPL": last["AAPL"], "MSFT": last["MSFT"]})
    report = generate_risk_report(book, prices, RiskLimits())
    aapl_weight = 400 * last["AAPL"] / float(book.equity_usd)
    assert report.weights["AAPL"] == pytest.approx(aapl_weight)
    assert {u.name for u in report.breaches} >= {"largest_position"}
    assert report.var_pct["historical_var_99"] >= report.var_pct["historical_var_95"] > 0
    assert report.stress and report.stress[0].portfolio_return <= report.stress[-1].portfolio_return
