import math
import statistics

import numpy as np
import pandas as pd
import pytest

from quant.metrics.performance import compute_metrics, drawdown_stats

EQUITY = [100.0, 110.0, 99.0, 120.0]
RETURNS = [0.1, -0.1, 120 / 99 - 1]


def test_returns_based_metrics_by_hand():
    m = compute_metrics(np.array(EQUITY), periods_per_year=3)
    assert m.total_return == pytest.approx(0.2) and m.total_pnl == pytest.approx(20.0)
    assert m.cagr == pytest.approx(0.2)  # 3 returns = one year at 3 periods per year
    sd = statistics.stdev(RETURNS)
    assert m.annual_volatility == pytest.approx(sd * math.sqrt(3))
    assert m.sharpe == pytest.approx(statistics.mean(RETURNS) / sd * math.sqrt(3))
    assert m.sortino == pytest.approx(statistics.mean(RETURNS) / math.sqrt(0.01 / 3) * math.sqrt(3))
    assert m.max_drawdown == pytest.approx(0.1)  # 99 vs the 110 peak
    assert m.max_drawdown_duration_bars == 1
    assert m.calmar == pytest.approx(0.2 / 0.1)


def test_risk_free_rate_is_subtracted_per_period():
    m = compute_metrics(np.array(EQUITY), periods_per_year=3, risk_free_rate=0.03)
    excess = [r - 0.01 for r in RETURNS]
    assert m.sharpe == pytest.approx(statistics.mean(excess) / statistics.stdev(RETURNS) * math.sqrt(3))


def test_trade_metrics_by_hand():
    trades = pd.DataFrame({"pnl": [10.0, -5.0, 20.0, 0.0]})
    m = compute_metrics(np.array(EQUITY), trades)
    assert (m.trade_count, m.winning_trades, m.losing_trades) == (4, 2, 1)
    assert m.win_rate == 0.5 and m.profit_factor == pytest.approx(30 / 5)
    assert m.average_trade == pytest.approx(6.25) and m.avg_win == 15 and m.avg_loss == -5


def test_drawdown_duration_counts_the_longest_stretch_below_a_peak():
    assert drawdown_stats(np.array([100, 90, 95, 100, 80, 120.0])) == (pytest.approx(0.2), 2)
    assert drawdown_stats(np.array([100, 90, 80.0]))[1] == 2  # never recovered: counts to the end


def test_beta_and_alpha_against_a_benchmark():
    rng = np.random.default_rng(0)
    bench = rng.normal(0.001, 0.01, 300)
    strat = 0.5 * bench + 0.0002
    equity = 100 * np.cumprod(np.concatenate(([1.0], 1 + strat)))
    m = compute_metrics(equity, benchmark_returns=bench, periods_per_year=252)
    assert m.beta == pytest.approx(0.5)
    assert m.alpha == pytest.approx(0.0002 * 252)


def test_initial_capital_counts_the_first_bars_return():
    with_base = compute_metrics(np.array(EQUITY[1:]), initial_capital=100.0, periods_per_year=3)
    assert with_base == compute_metrics(np.array(EQUITY), periods_per_year=3)


def test_exposure_and_turnover():
    trades = pd.DataFrame({"pnl": [1.0], "quantity": [2.0], "entry_price": [50.0], "exit_price": [55.0],
                           "is_open": [False]})
    m = compute_metrics(np.array([100.0, 100, 100, 100]), trades, positions=np.array([0, 2, 2, 0]))
    assert m.exposure == 0.5
    assert m.turnover == pytest.approx((2 * 50 + 2 * 55) / 100)


def test_undefined_ratios_are_nan_and_to_dict_makes_them_none():
    m = compute_metrics(np.array([100.0, 100.0, 100.0]))
    assert math.isnan(m.sharpe) and math.isnan(m.profit_factor)
    assert m.to_dict()["sharpe"] is None and m.to_dict()["trade_count"] == 0
