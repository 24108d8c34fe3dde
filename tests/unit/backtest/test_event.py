import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.backtest.config import BacktestConfig
from quant.backtest.engine import backtest
from quant.backtest.event import EventBars, TargetPositionStrategy, event_backtest, run_event
from quant.backtest.vectorized import run_vectorized

NAN5 = np.full(5, np.nan)
CFG = BacktestConfig(initial_capital=1000, slippage_bps=0)


def bars(open_, high, low, close):
    return EventBars(*(np.asarray(x, dtype=np.float64) for x in (open_, high, low, close)))


class Script:
    """Submits the orders listed per bar: {t: [(method, args, kwargs)]}."""

    def __init__(self, plan):
        self.plan = plan
        self.seen = []

    def on_bar(self, ctx):
        self.seen.append(len(ctx.close))
        for method, args, kwargs in self.plan.get(ctx.t, []):
            getattr(ctx, method)(*args, **kwargs)


def test_market_target_order_by_hand_matches_the_vectorized_hand_case():
    b = bars([10, 11, 12, 13, 14], NAN5, NAN5, [10.5, 11.5, 12.5, 13.5, 14.5])
    run = run_event(Script({0: [("order_target", (1.0,), {})], 2: [("order_target", (0.0,), {})]}), b, CFG)
    assert run.equity.tolist() == [1000, 9 + 90 * 11.5, 9 + 90 * 12.5, 1178, 1178]


def test_limit_buy_fills_at_the_limit_when_the_low_crosses_it_and_not_before():
    b = bars([10, 10, 10, 10, 10], [10.5] * 5, [9.8, 9.8, 9.4, 9.8, 9.8], [10, 10, 10, 10, 10])
    run = run_event(Script({0: [("buy", (10,), {"limit": 9.5})]}), b, CFG)
    assert run.positions.tolist() == [0, 0, 10, 10, 10]
    assert run.trades[0, 4] == 9.5  # the limit price, no slippage through a limit


def test_limit_buy_gapping_below_the_limit_fills_at_the_better_open():
    b = bars([10, 9, 9, 9, 9], [10] * 5, [8.8] * 5, [9, 9, 9, 9, 9])
    run = run_event(Script({0: [("buy", (10,), {"limit": 9.5})]}), b, CFG)
    assert run.trades[0, 4] == 9


def test_stop_buy_triggers_on_the_high_and_pays_slippage():
    config = BacktestConfig(initial_capital=1000, slippage_bps=10)
    b = bars([10, 10, 10, 10, 10], [10.2, 10.2, 10.6, 10.2, 10.2], [9.9] * 5, [10] * 5)
    run = run_event(Script({0: [("buy", (5,), {"stop": 10.5})]}), b, config)
    assert run.positions.tolist() == [0, 0, 5, 5, 5]
    assert np.isclose(run.trades[0, 4], 10.5 * 1.001)


def test_stop_limit_rests_as_a_limit_when_the_trigger_is_above_the_limit():
    # bar 1 gaps to 11 (above the stop 10.5 and the limit 10.7): triggered, not filled; bar 2 dips to 10.6: fills
    b = bars([10, 11, 10.9, 10.9, 10.9], [10.2, 11.2, 11, 11, 11], [9.9, 10.9, 10.6, 10.8, 10.8],
             [10, 11, 10.9, 10.9, 10.9])
    run = run_event(Script({0: [("buy", (5,), {"stop": 10.5, "limit": 10.7})]}), b, CFG)
    assert run.positions.tolist() == [0, 0, 5, 5, 5]
    assert run.trades[0, 4] == 10.7


def test_sell_without_shorting_is_capped_at_the_position_held():
    b = bars([10] * 5, NAN5, NAN5, [10] * 5)
    run = run_event(Script({0: [("buy", (3,), {})], 1: [("sell", (10,), {})]}), b, CFG)
    assert run.positions.tolist() == [0, 3, 0, 0, 0]


def test_an_order_left_in_the_book_at_the_end_counts_as_unfilled():
    b = bars([10] * 5, [10.1] * 5, [9.9] * 5, [10] * 5)
    run = run_event(Script({1: [("buy", (1,), {"limit": 5.0})]}), b, CFG)
    assert run.stats[2] == 1 and run.positions[-1] == 0


def test_strategy_sees_only_bars_up_to_the_current_one():
    b = bars([10] * 5, NAN5, NAN5, [10, 11, 12, 13, 14])
    script = Script({})
    run_event(script, b, CFG)
    assert script.seen == [1, 2, 3, 4, 5]


def _random_bars(seed, n):
    rng = np.random.default_rng(seed)
    close = 40 * np.exp(np.cumsum(rng.normal(0, 0.03, n)))
    open_ = close * np.exp(rng.normal(0, 0.01, n))
    return EventBars(open_, np.maximum(open_, close) * 1.01, np.minimum(open_, close) * 0.99, close), rng


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 80), short=st.booleans(), bps=st.sampled_from([0.0, 4.0]),
       per_share=st.sampled_from([0.0, 0.005, 0.4]), sizing=st.sampled_from(["all_in", "fixed_fraction",
                                                                              "volatility_target"]))
def test_event_engine_and_vectorized_engine_agree_on_target_position_strategies(seed, n, short, bps, per_share,
                                                                                 sizing):
    b, rng = _random_bars(seed, n)
    targets = rng.choice([-1.0, -0.4, 0.0, 0.5, 1.0, np.nan], n)
    config = BacktestConfig(allow_short=short, commission_bps=bps, commission_per_share=per_share, sizing=sizing,
                            fixed_fraction=0.6, volatility_lookback_bars=5)
    vec = run_vectorized(b.open[:, None], b.close[:, None], targets[:, None], config)
    for compiled in (True, False):
        ev = run_event(TargetPositionStrategy(targets), b, config, compiled=compiled)
        assert np.array_equal(ev.equity, vec.equity[:, 0, 0])
        assert np.array_equal(ev.trades, vec.trades[(0, 0)])
        assert np.array_equal(ev.stats, vec.stats[0, 0])


def test_event_backtest_over_panels_equals_the_vectorized_backtest(panels):
    rng = np.random.default_rng(11)
    positions = pd.DataFrame(rng.choice([0.0, 1.0, np.nan], panels["close"].shape), index=panels["close"].index,
                             columns=panels["close"].columns)
    vec = backtest(panels, positions, BacktestConfig())
    ev = event_backtest(lambda s: TargetPositionStrategy(positions[s].to_numpy()), panels, BacktestConfig())
    pd.testing.assert_frame_equal(vec.equity, ev.equity)
    pd.testing.assert_frame_equal(vec.trades, ev.trades)
    assert ev.metadata["engine"] == "event" and vec.unfilled_orders == ev.unfilled_orders


def test_too_many_open_orders_is_a_config_error():
    from errors import ConfigError

    b = bars([10] * 5, [10.1] * 5, [9.9] * 5, [10] * 5)
    with pytest.raises(ConfigError):
        run_event(Script({0: [("buy", (1,), {"limit": 1.0})] * 300}), b, CFG)


def test_order_value_buys_whole_shares_worth_the_dollars_at_the_last_close():
    b = bars([10] * 5, NAN5, NAN5, [10, 20, 20, 20, 20])
    run = run_event(Script({1: [("order_value", (250.0,), {})]}), b, CFG)
    assert run.positions.tolist() == [0, 0, 12, 12, 12]  # trunc(250 / 20) = 12, filled at bar 2's open


def test_short_market_order_when_allowed():
    b = bars([10] * 5, NAN5, NAN5, [10, 10, 9, 9, 9])
    config = BacktestConfig(initial_capital=1000, slippage_bps=0, allow_short=True)
    run = run_event(Script({0: [("sell", (5,), {})]}), b, config)
    # short 5 at 10 (cash 1000 + 50 - 1), marked at 9 on bar 2
    assert run.positions.tolist() == [0, -5, -5, -5, -5]
    assert run.equity[2] == 1049 - 45
