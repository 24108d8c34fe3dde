"""The market an order is checked against, read as plain rows: the same figures as the bar frame gives them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tests.integration.execution.conftest import synthetic_bars


def _frame_snapshot(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Last close, 20-bar mean volume and 2 x ATR(14) per symbol from a bar frame, computed with pandas (the
    definition: true range = max of high - low, |high - prev close|, |low - prev close|, or |close - prev close|
    without a high)."""
    out = {}
    for symbol, g in frame.groupby("symbol"):
        close, prev = g["close"], g["close"].shift(1)
        ranges = pd.concat([g["high"] - g["low"], (g["high"] - prev).abs(), (g["low"] - prev).abs()], axis=1)
        true_range = ranges.max(axis=1, skipna=True).where(g["high"].notna(), (close - prev).abs())
        volume = g["volume"].tail(20).dropna()
        out[symbol] = {"last": float(close.iloc[-1]), "adv": float(volume.mean()) if len(volume) else None,
                       "stop": float(2 * true_range.tail(14).mean())}
    return out


def test_market_snapshot_equals_the_frame_computation_with_and_without_highs_and_lows(database):
    from memory.bars import BarStore
    from services.market_snapshot import HISTORY, market_snapshot

    full = synthetic_bars(("AAA",), n=80, seed=3)
    closes_only = synthetic_bars(("CLO",), n=80, seed=4).assign(open=np.nan, high=np.nan, low=np.nan,
                                                                 volume=np.nan)
    store = BarStore(database)
    store.upsert(pd.concat([full, closes_only], ignore_index=True), source="test")
    now = full["ts"].iloc[60].to_pydatetime() + timedelta(hours=21)
    expected = _frame_snapshot(store.read(["AAA", "CLO"], start=pd.Timestamp(now) - HISTORY, as_of=now))

    snapshot = market_snapshot(store, ["aaa", "CLO", "NONE"], now)

    assert set(snapshot.last_price) == {"AAA", "CLO"}
    for symbol, figures in expected.items():
        assert snapshot.last_price[symbol] == Decimal(repr(figures["last"]))
        assert float(snapshot.stop_distance_usd[symbol]) == round(figures["stop"], 6)
    assert float(snapshot.adv_shares["AAA"]) == pytest.approx(expected["AAA"]["adv"], rel=1e-12)
    assert "CLO" not in snapshot.adv_shares


def test_a_position_is_marked_at_the_newest_close_known_at_the_clock(database, bars, clock, broker):
    from memory.bar_index import BarIndex

    day = bars["ts"].sort_values().iloc[30]
    clock.now = day.to_pydatetime() + timedelta(hours=1)
    newest = BarIndex(database).latest_bars(["aaa", "BBB", "ZZZ"], as_of=clock.now)
    close = bars[(bars["symbol"] == "AAA") & (bars["ts"] == day)]["close"].iloc[0]

    assert set(newest) == {"AAA", "BBB"}
    assert newest["AAA"].ts == day.to_pydatetime() and newest["AAA"].close == close
    assert broker.mark("AAA") == Decimal(repr(float(close)))
