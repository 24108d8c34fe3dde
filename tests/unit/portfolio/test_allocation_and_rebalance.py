from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errors import ConfigError
from quant.portfolio import discrete_allocation, efficient_frontier_points, rebalance_signals

_symbols = st.sampled_from(["A", "B", "C", "D", "E"])


@settings(max_examples=200, deadline=None)
@given(
    raw=st.dictionaries(_symbols, st.floats(0.0, 1.0), min_size=1),
    prices=st.lists(st.floats(0.5, 5000.0), min_size=5, max_size=5),
    total_value=st.floats(0.0, 1e6),
)
def test_discrete_allocation_never_spends_more_than_total_value(raw, prices, total_value):
    total = sum(raw.values()) or 1.0
    weights = {s: w / total for s, w in raw.items()}
    latest = dict(zip("ABCDE", prices, strict=True))

    allocation = discrete_allocation(weights, latest, total_value)

    spent = sum(n * latest[s] for s, n in allocation.shares.items())
    assert spent <= total_value + 1e-6
    assert allocation.leftover_cash >= -1e-6
    assert allocation.invested_value + allocation.leftover_cash == pytest.approx(total_value)
    assert all(isinstance(n, int) and n > 0 for n in allocation.shares.values())


def test_discrete_allocation_leaves_less_than_the_cheapest_share_when_fully_weighted():
    allocation = discrete_allocation({"A": 0.5, "B": 0.5}, {"A": 30.0, "B": 70.0}, 1000.0)
    # floors: A 16 (480) and B 7 (490) leave 30; A's shortfall (20) beats B's (10), so one more A
    assert allocation.leftover_cash < 30.0
    assert allocation.shares == {"A": 17, "B": 7}


def test_discrete_allocation_refuses_shorts_and_unknown_prices():
    with pytest.raises(ConfigError, match="negative weights for"):
        discrete_allocation({"A": -0.5, "B": 1.5}, {"A": 1.0, "B": 1.0}, 100.0)
    with pytest.raises(ConfigError, match=r"lacks symbols \['B'\]"):
        discrete_allocation({"A": 0.5, "B": 0.5}, {"A": 1.0}, 100.0)


def test_no_rebalance_while_every_weight_is_within_the_drift_threshold():
    assert rebalance_signals({"A": 0.52, "B": 0.48}, {"A": 0.5, "B": 0.5}, drift_threshold=0.05) == []


def test_one_drifted_weight_triggers_a_full_rebalance_back_to_target():
    trades = rebalance_signals({"A": 0.58, "B": 0.40, "C": 0.02}, {"A": 0.5, "B": 0.45, "C": 0.05}, 0.05)

    by_symbol = {t.symbol: t for t in trades}
    assert [t.side for t in trades] == ["sell", "buy", "buy"]
    assert by_symbol["A"].weight_change == pytest.approx(-0.08)
    assert by_symbol["B"].weight_change == pytest.approx(0.05)
    assert by_symbol["C"].weight_change == pytest.approx(0.03)
    assert sum(t.weight_change for t in trades) == pytest.approx(0.0)


def test_a_symbol_missing_from_target_is_sold_out():
    trades = rebalance_signals({"A": 0.5, "B": 0.5}, {"A": 1.0}, 0.1)
    assert {(t.symbol, t.side, t.target_weight) for t in trades} == {("B", "sell", 0.0), ("A", "buy", 1.0)}


def test_efficient_frontier_is_increasing_in_risk_and_return(closes):
    points = efficient_frontier_points(closes, n=8)
    vols = [p.annual_volatility for p in points]
    rets = [p.expected_annual_return for p in points]
    assert len(points) == 8
    assert vols == sorted(vols)
    assert all(b >= a - 1e-6 for a, b in zip(rets, rets[1:], strict=False))
    assert all(abs(sum(p.weights.values()) - 1) <= 1e-9 for p in points)


def test_frontier_reaches_the_best_return_attainable_under_a_weight_cap(closes):
    years = (len(closes) - 1) / 252
    cagr = (closes.iloc[-1] / closes.iloc[0]) ** (1 / years) - 1
    best_capped = cagr.sort_values(ascending=False).iloc[:5].mean()  # five assets at the 20 % cap

    points = efficient_frontier_points(closes, n=5, weight_bounds=(0.0, 0.2))

    assert max(max(p.weights.values()) for p in points) <= 0.2 + 1e-12
    assert points[-1].expected_annual_return == pytest.approx(best_capped, rel=0.01)
    assert points[-1].expected_annual_return <= best_capped + 1e-9
