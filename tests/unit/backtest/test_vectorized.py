import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.backtest.config import BacktestConfig
from quant.backtest.sizing import size_scale
from quant.backtest.vectorized import run_vectorized

OPEN = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
CLOSE = np.array([10.5, 11.5, 12.5, 13.5, 14.5])
NO_SLIP = BacktestConfig(initial_capital=1000, slippage_bps=0)


def no_slip(**changes):
    return BacktestConfig(initial_capital=1000, slippage_bps=0, **changes)


def one(targets, config=NO_SLIP, open_=OPEN, close=CLOSE):
    return run_vectorized(None if open_ is None else open_[:, None], close[:, None], np.asarray(targets)[:, None],
                          config)


def test_one_long_trade_by_hand_fills_at_next_open_with_whole_shares():
    run = one([1, 1, 0, 0, 0])
    # bar 1 open 11: floor((1000 - 1) / 11) = 90 shares, cash 1000 - 990 - 1 = 9
    # bar 3 open 13: sell 90, cash 9 + 1170 - 1 = 1178
    assert run.equity[:, 0, 0].tolist() == [1000, 9 + 90 * 11.5, 9 + 90 * 12.5, 1178, 1178]
    entry, exit_, direction, qty, entry_px, exit_px, pnl, fees = run.trades[(0, 0)][0]
    assert (entry, exit_, direction, qty, entry_px, exit_px) == (1, 3, 1, 90, 11, 13)
    assert pnl == 90 * (13 - 11) - 2 and fees == 2
    assert run.stat("fees")[0, 0] == 2 and run.stat("unfilled")[0, 0] == 0


def test_slippage_and_bps_commission_by_hand():
    config = BacktestConfig(initial_capital=1000, slippage_bps=10, commission_bps=5)
    run = one([1, 1, 0, 0, 0], config)
    buy_px = 11 * 1.001
    qty = np.floor(999 / (buy_px * 1.0005))
    assert qty == 90
    buy_fee = 1 + qty * buy_px * 0.0005
    cash = 1000 - qty * buy_px - buy_fee
    sell_px = 13 * 0.999
    cash += qty * sell_px - (1 + qty * sell_px * 0.0005)
    assert np.isclose(run.equity[-1, 0, 0], cash, rtol=0, atol=1e-9)
    assert np.isclose(run.trades[(0, 0)][0, 4], buy_px) and np.isclose(run.trades[(0, 0)][0, 5], sell_px)


def test_per_share_commission_by_hand_buys_fewer_shares_and_charges_each_share():
    config = no_slip(commission_per_share=0.5)
    run = one([1, 1, 0, 0, 0], config)
    # bar 1 open 11: each share costs 11 + 0.50 commission: floor((1000 - 1) / 11.5) = 86 shares
    qty = 86
    cash = 1000 - qty * 11 - (1 + qty * 0.5)
    cash += qty * 13 - (1 + qty * 0.5)
    entry, exit_, direction, bought, entry_px, exit_px, pnl, fees = run.trades[(0, 0)][0]
    assert bought == qty and fees == 2 * (1 + qty * 0.5)
    assert np.isclose(run.equity[-1, 0, 0], cash, rtol=0, atol=1e-9)


def test_order_decided_on_the_last_bar_is_reported_unfilled():
    run = one([0, 0, 0, 0, 1])
    assert run.stat("unfilled")[0, 0] == 1
    assert len(run.trades[(0, 0)]) == 0 and run.equity[-1, 0, 0] == 1000


def test_closes_only_data_fills_at_the_next_close_and_says_so():
    run = one([1, 0, 0, 0, 0], open_=None)
    # bar 1 close 11.5: floor(999 / 11.5) = 86 shares, cash 1000 - 989 - 1 = 10; bar 2 close 12.5: sell
    assert run.fill_convention == ("next_close",)
    assert run.equity[2, 0, 0] == 10 + 86 * 12.5 - 1


def test_missing_open_delays_the_fill_to_the_next_priced_bar():
    open_ = OPEN.copy()
    open_[1] = np.nan
    run = one([1, 1, 1, 1, 1], open_=open_)
    assert run.trades[(0, 0)][0, 0] == 2 and run.trades[(0, 0)][0, 4] == 12


def test_short_trade_by_hand_when_shorting_is_allowed():
    run = one([-1, 0, 0, 0, 0], no_slip(allow_short=True))
    # short 90 at 11 (cash 1000 + 990 - 1 = 1989), cover at 12 (cash 1989 - 1080 - 1 = 908)
    assert run.equity[1, 0, 0] == 1989 - 90 * 11.5
    assert run.equity[2, 0, 0] == 908
    assert one([-1, 0, 0, 0, 0]).stat("n_trades")[0, 0] == 0  # refused when shorting is not allowed


def test_fixed_fraction_sizing_buys_that_fraction():
    run = one([1, 1, 1, 1, 1], no_slip(sizing="fixed_fraction", fixed_fraction=0.5))
    assert run.trades[(0, 0)][0, 3] == np.floor(0.5 * 999 / 11)


def test_volatility_target_scale_uses_trailing_realised_volatility():
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (80, 2)), axis=0))
    config = BacktestConfig(sizing="volatility_target", target_volatility=0.1, volatility_lookback_bars=20)
    sigma = np.log(pd.DataFrame(close)).diff().rolling(20).std() * np.sqrt(252)
    expected = np.minimum(0.1 / sigma.to_numpy(), 1.0)
    scale = size_scale(close, config)
    assert np.allclose(scale[20:], expected[20:], rtol=1e-10)
    assert (scale[:20] == 1.0).all()


def test_portfolio_mode_splits_one_account_by_the_fractions():
    price = np.array([[10.0, 20.0]] * 4)
    config = no_slip(capital_mode="portfolio")
    run = run_vectorized(price, price, np.full((4, 2), 0.5), config)
    # each: floor(0.5 * (1000 - 1) / px): 49 @ 10 and 24 @ 20, one $1 fee each
    assert run.positions[1, :, 0].tolist() == [49, 24]
    assert run.equity[1, 0] == 1000 - 2


def _random_case(seed, n, n_sym, short):
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.03, (n, n_sym)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.01, (n, n_sym)))
    targets = rng.choice([-1.0, -0.5, 0.0, 0.3, 1.0, np.nan], size=(n, n_sym))
    if not short:
        targets = np.abs(targets)
    return open_, close, targets


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 60), n_sym=st.integers(1, 3), short=st.booleans(),
       slip=st.sampled_from([0.0, 10.0, 55.0]), bps=st.sampled_from([0.0, 7.0]),
       mode=st.sampled_from(["per_symbol", "portfolio"]))
def test_value_is_conserved_cash_plus_positions_plus_fees_equals_capital_plus_pnl(seed, n, n_sym, short, slip, bps,
                                                                                   mode):
    open_, close, targets = _random_case(seed, n, n_sym, short)
    config = BacktestConfig(initial_capital=10_000, slippage_bps=slip, commission_bps=bps, allow_short=short,
                            capital_mode=mode)
    run = run_vectorized(open_, close, targets, config)
    trades = {i: run.trades[(i, 0)] for i in range(n_sym)}
    fees = run.stat("fees")[:, 0]
    for i in range(n_sym):  # the trade ledger and the cash path agree on fees
        assert np.isclose(trades[i][:, 7].sum(), fees[i], atol=1e-7)
    if mode == "per_symbol":
        for i in range(n_sym):
            # final equity = capital + net pnl of every trade (open one marked at the last close)
            assert np.isclose(10_000 + trades[i][:, 6].sum(), run.equity[-1, i, 0], atol=1e-6)
            cash = run.equity[:, i, 0] - run.positions[:, i, 0] * close[:, i]
            assert short or (cash >= -1e-9).all()
    else:
        net = sum(trades[i][:, 6].sum() for i in range(n_sym))
        assert np.isclose(10_000 + net, run.equity[-1, 0], atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.integers(1, 38))
def test_perturbing_bars_after_t_leaves_fills_and_equity_up_to_t_unchanged(seed, cut):
    open_, close, targets = _random_case(seed, 40, 2, True)
    config = BacktestConfig(allow_short=True)
    base = run_vectorized(open_, close, targets, config)
    rng = np.random.default_rng(seed + 1)
    o2, c2, t2 = open_.copy(), close.copy(), targets.copy()
    o2[cut + 1:] *= rng.uniform(0.5, 1.5, o2[cut + 1:].shape)
    c2[cut + 1:] *= rng.uniform(0.5, 1.5, c2[cut + 1:].shape)
    t2[cut + 1:] = rng.choice([-1.0, 0.0, 1.0], t2[cut + 1:].shape)
    moved = run_vectorized(o2, c2, t2, config)
    assert np.array_equal(base.equity[: cut + 1], moved.equity[: cut + 1])
    assert np.array_equal(base.positions[: cut + 1], moved.positions[: cut + 1])


def test_a_fill_never_happens_on_the_signal_bar():
    open_, close, targets = _random_case(5, 200, 3, False)
    run = run_vectorized(open_, close, targets, BacktestConfig())
    for i in range(3):
        held = run.positions[:, i, 0]
        changes = np.flatnonzero(np.diff(np.concatenate(([0.0], held))) != 0)
        for t in changes:  # every position change answers a target decided on an earlier bar
            assert t >= 1 and np.isfinite(targets[: t, i]).any()


def test_targets_of_the_wrong_shape_are_a_data_error():
    from errors import DataError

    with pytest.raises(DataError):
        run_vectorized(OPEN[:, None], CLOSE[:, None], np.ones((4, 1)), NO_SLIP)
