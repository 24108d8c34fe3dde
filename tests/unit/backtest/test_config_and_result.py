import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from errors import ConfigError
from quant.backtest.config import BacktestConfig
from quant.backtest.engine import backtest, trades_frame
from quant.backtest.result import config_hash, data_hash


def test_defaults_match_the_seed_backtest_config():
    config = BacktestConfig()
    assert (config.initial_capital, config.commission_per_order, config.slippage_bps) == (100_000, 1.0, 10.0)
    assert (config.sizing, config.fill, config.allow_short) == ("all_in", "next_open", False)


@pytest.mark.parametrize(("field", "value"), [("slippage_bps", -1), ("initial_capital", 0), ("sizing", "yolo"),
                                              ("fixed_fraction", 1.5)])
def test_invalid_setting_raises_config_error_naming_the_field(field, value):
    with pytest.raises(ConfigError) as err:
        BacktestConfig(**{field: value})
    assert err.value.details["field"] == field
    assert field in str(err.value)


def test_end_date_before_start_date_is_refused():
    with pytest.raises(ConfigError) as err:
        BacktestConfig(start_date="2024-02-01T00:00:00Z", end_date="2024-01-01T00:00:00Z")
    assert err.value.details["field"] == "end_date"


def test_config_is_frozen():
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen assignment
        BacktestConfig().slippage_bps = 3.0


def test_config_hash_is_deterministic_and_changes_with_any_setting():
    assert config_hash(BacktestConfig()) == config_hash(BacktestConfig())
    assert config_hash(BacktestConfig()) != config_hash(BacktestConfig(slippage_bps=11))
    assert config_hash(BacktestConfig(), {"fast": 10}) != config_hash(BacktestConfig(), {"fast": 11})


def test_data_hash_changes_when_one_price_changes(panels):
    close = panels["close"]
    moved = close.copy()
    moved.iloc[100, 1] += 1e-9
    assert data_hash(close) == data_hash(close.copy())
    assert data_hash(close) != data_hash(moved)


def test_result_to_dict_is_json_and_carries_run_facts(panels):
    positions = (panels["close"].pct_change() > 0).astype(float)
    result = backtest(panels, positions, BacktestConfig(), strategy_id="momentum", params={"lookback": 1})
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["config_hash"] == config_hash(BacktestConfig(), {"lookback": 1})
    assert set(payload["fill_convention"].values()) == {"next_open"}
    assert len(payload["equity_curve"]["S0"]) == len(panels["close"])
    assert payload["metrics"]["S0"]["trade_count"] == int((result.trades.symbol == "S0").sum())


def test_start_and_end_dates_restrict_the_traded_bars(panels):
    index = panels["close"].index
    config = BacktestConfig(start_date=index[100].to_pydatetime(), end_date=index[199].to_pydatetime())
    positions = pd.DataFrame(1.0, index=index, columns=panels["close"].columns)
    result = backtest(panels, positions, config)
    assert result.equity.index[0] == index[100] and result.equity.index[-1] == index[199]
    # the position decided in the warm-up is entered at the first traded bar's open
    assert (result.trades.entry_ts == index[100]).all()
    assert np.isfinite(result.equity.to_numpy()).all()


def test_trades_frame_stamps_each_trade_and_leaves_an_open_trades_exit_empty():
    index = pd.date_range("2024-01-01", periods=10, freq="B", tz="UTC")
    closed = [2, 5, 1, 10, 100.0, 110.0, 98.0, 2.0]  # entry bar, exit bar, direction, qty, prices, pnl, fees
    still_open = [7, -1, -1, 3, 50.0, np.nan, 0.0, 1.0]
    run = SimpleNamespace(trades={(0, 0): np.array([closed]), (1, 0): np.empty((0, 8)), (2, 0): np.array([still_open])})

    frame = trades_frame(run, index, ("AAA", "BBB", "CCC"))

    assert frame["symbol"].tolist() == ["AAA", "CCC"]
    assert frame["entry_ts"].tolist() == [index[2], index[7]]
    assert frame["exit_ts"].iloc[0] == index[5] and pd.isna(frame["exit_ts"].iloc[1])
    assert frame["direction"].tolist() == [1, -1] and frame["is_open"].tolist() == [False, True]
    assert str(frame["exit_ts"].dtype) == "datetime64[ns, UTC]" and frame["quantity"].tolist() == [10.0, 3.0]
    empty = trades_frame(SimpleNamespace(trades={}), index, ("AAA",))
    assert empty.empty and list(empty.columns) == list(frame.columns)
