"""Strategy registry, parameter validation, value types and the event-driven path."""

from __future__ import annotations

import numpy as np
import pytest

from errors import ConfigError, DataError
from quant.execution.orders import OrderType, Side
from quant.strategies import registry
from quant.strategies.base import OrderIntent, Signal
from quant.strategies.crossover import SmaCrossover

BUILTINS = {
    "sma_crossover",
    "ema_crossover",
    "rsi_mean_reversion",
    "bollinger_reversion",
    "bollinger_breakout",
    "ts_momentum",
    "xs_momentum",
    "xgboost_model",
}


def test_registry_lists_every_builtin_with_schema_and_defaults():
    specs = {s.name: s for s in registry.list_strategies()}
    assert set(specs) >= BUILTINS
    sma = specs["sma_crossover"]
    assert sma.defaults == {"fast": 10, "slow": 50, "allow_short": False}
    assert set(sma.params_schema["properties"]) == {"fast", "slow", "allow_short"}
    assert all(spec.description for spec in specs.values())


def test_crossover_with_fast_not_below_slow_is_config_error_naming_both():
    with pytest.raises(ConfigError, match=r"fast \(50\) must be < slow \(10\)"):
        registry.validate_params("sma_crossover", {"fast": 50, "slow": 10})


@pytest.mark.parametrize(
    "name, params, field",
    [
        ("sma_crossover", {"fast": 0}, "fast"),
        ("ema_crossover", {"slow": -5}, "slow"),
        ("rsi_mean_reversion", {"length": 0}, "length"),
        ("rsi_mean_reversion", {"lower": 60, "exit": 50}, "params"),
        ("xs_momentum", {"top_k": 0}, "top_k"),
        ("ts_momentum", {"lookbak": 5}, "lookbak"),
        ("xgboost_model", {"horizon": 300}, "params"),
    ],
)
def test_invalid_parameters_are_config_errors_naming_the_field(name, params, field):
    with pytest.raises(ConfigError) as info:
        registry.validate_params(name, params)
    assert field in str(info.value)


def test_unknown_strategy_is_config_error_listing_known_names():
    with pytest.raises(ConfigError, match="sma_crossover"):
        registry.get_strategy("sma_crossover_v2")


def test_signal_refuses_a_target_outside_minus_one_to_one():
    with pytest.raises(ConfigError):
        Signal("AAA", None, 1.5)


def test_order_intent_needs_exactly_one_of_qty_and_target_and_prices_per_type():
    assert OrderIntent("AAA", "buy", qty=10).order_type is OrderType.MARKET
    with pytest.raises(ConfigError):
        OrderIntent("AAA", Side.BUY)
    with pytest.raises(ConfigError):
        OrderIntent("AAA", Side.BUY, qty=1, target_fraction=0.5)
    with pytest.raises(ConfigError, match="limit_price"):
        OrderIntent("AAA", Side.BUY, qty=1, order_type=OrderType.LIMIT)
    with pytest.raises(ConfigError, match="stop_price"):
        OrderIntent("AAA", Side.SELL, qty=1, order_type=OrderType.STOP_LIMIT, limit_price=9.0)
    stop_limit = OrderIntent("AAA", "sell", qty=1, order_type="stop_limit", limit_price=9.0, stop_price=9.5)
    assert stop_limit.side is Side.SELL


def test_event_driven_signals_equal_the_vectorized_last_row(panels):
    strategy = SmaCrossover({"fast": 5, "slow": 20})
    close = panels["close"].iloc[:80]
    for ts in close.index:
        for symbol in close.columns:
            strategy.on_market_data({"symbol": symbol, "ts": ts, "close": close.at[ts, symbol]})
    signals = strategy.generate_signals()
    expected = SmaCrossover.signals({"close": close}, strategy.params).iloc[-1]
    assert {s.symbol: s.target_fraction for s in signals} == expected.to_dict()
    assert all(s.ts == close.index[-1] for s in signals)


def test_risk_check_turns_signals_into_target_intents_skipping_symbols_already_there(panels):
    strategy = SmaCrossover()
    ts = panels["close"].index[0]
    signals = [Signal("AAA", ts, 1.0), Signal("BBB", ts, 0.0), Signal("CCC", ts, 1.0)]
    intents = strategy.risk_check(signals, {"AAA": 1.0, "BBB": 0.5})
    assert [(i.symbol, i.side, i.target_fraction) for i in intents] == [
        ("BBB", Side.SELL, 0.0),
        ("CCC", Side.BUY, 1.0),
    ]


def test_generate_signals_without_bars_is_data_error():
    with pytest.raises(DataError):
        SmaCrossover().generate_signals()


def test_strategy_needing_nothing_but_close_runs_on_closes_only_panels(panels):
    closes_only = {"close": panels["close"], "high": panels["close"] * np.nan}
    targets = registry.get_strategy("bollinger_breakout").signals(
        closes_only, registry.validate_params("bollinger_breakout")
    )
    assert targets.shape == panels["close"].shape


def test_bar_without_close_is_data_error_naming_the_field():
    with pytest.raises(DataError, match="close"):
        SmaCrossover().on_market_data({"symbol": "AAA", "ts": "2024-01-02"})
