"""Point-in-time features: definitions and no lookahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from errors import ConfigError
from quant.features import features as f
from quant.features.features import FeaturePipeline


def bar_frame(n: int = 300, symbols=("AAA", "BBB", "CCC"), seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-01-01", periods=n, freq="D", tz="UTC")
    rows = []
    for k, symbol in enumerate(symbols):
        close = (40 + 10 * k) * np.exp(np.cumsum(rng.normal(0, 0.012, n)))
        high = close * (1 + np.abs(rng.normal(0, 0.004, n)))
        low = close * (1 - np.abs(rng.normal(0, 0.004, n)))
        rows.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "ts": index,
                    "open": close,
                    "high": high,
                    "low": low,
                    "close": close,
                    "volume": 1000.0,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_returns_and_log_returns_match_their_definitions():
    close = pd.DataFrame({"A": [100.0, 110.0, 99.0, 99.0]})
    assert f.returns(close)["A"].tolist()[1:] == pytest.approx([0.1, -0.1, 0.0])
    assert f.log_returns(close, 2)["A"].iloc[2] == pytest.approx(np.log(0.99))
    assert np.isnan(f.returns(close, 2)["A"].iloc[1])


def test_momentum_with_skip_measures_from_t_minus_lookback_to_t_minus_skip():
    close = pd.DataFrame({"A": np.arange(1.0, 11.0)})
    assert f.momentum(close, lookback=5, skip=2)["A"].iloc[9] == pytest.approx(8.0 / 5.0 - 1)
    with pytest.raises(ConfigError):
        f.momentum(close, lookback=5, skip=5)


def test_annualized_volatility_scales_by_sqrt_of_bars_per_year():
    close = pd.DataFrame({"A": 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, 100)))})
    per_bar = f.rolling_volatility(close, 20)
    manual = np.log(close["A"]).diff().iloc[-20:].std(ddof=1)
    assert per_bar["A"].iloc[-1] == pytest.approx(manual, abs=1e-12)
    assert f.rolling_volatility(close, 20, 252)["A"].iloc[-1] == pytest.approx(manual * np.sqrt(252))


def test_rolling_correlation_with_itself_is_one():
    rets = f.log_returns(pd.DataFrame({"A": np.exp(np.random.default_rng(2).normal(0, 0.01, 80).cumsum())}))
    corr = f.rolling_correlation(rets, 20, reference=rets["A"])
    assert np.allclose(corr["A"].dropna(), 1.0)
    assert corr["A"].iloc[:20].isna().all()


def test_pipeline_returns_one_row_per_ts_symbol_with_named_features():
    frame = FeaturePipeline().compute(bar_frame())
    assert frame.index.names == ["ts", "symbol"]
    assert len(frame) == 300 * 3
    for column in ("ret_1", "vol_20", "mom_60", "corr_mkt_60", "rsi_14", "atr_rel_14", "bb_percent_20"):
        assert column in frame.columns
    assert frame["rsi_14"].dropna().between(0, 1).all()


def test_pipeline_lookback_days_keeps_the_last_days_with_warm_up_from_earlier_bars():
    bars = bar_frame()
    full = FeaturePipeline().compute(bars)
    recent = FeaturePipeline().compute(bars, lookback_days=10)
    assert recent.index.get_level_values("ts").nunique() == 11
    pd.testing.assert_frame_equal(recent, full.loc[recent.index])
    assert recent["mom_120"].notna().all()


def test_features_up_to_t_do_not_change_when_later_bars_change():
    bars = bar_frame()
    cutoff = bars["ts"].unique()[200]
    perturbed = bars.copy()
    later = perturbed["ts"] > cutoff
    rng = np.random.default_rng(5)
    for column in ("open", "high", "low", "close"):
        perturbed.loc[later, column] *= np.exp(rng.normal(0, 0.3, later.sum()))
    before = FeaturePipeline().compute(bars)
    after = FeaturePipeline().compute(perturbed)
    ts = before.index.get_level_values("ts")
    pd.testing.assert_frame_equal(before[ts <= cutoff], after[ts <= cutoff])
    assert not before[ts > cutoff].equals(after[ts > cutoff])
