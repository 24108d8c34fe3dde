"""The point-in-time bar store on the real embedded Postgres."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from errors import ConfigError
from memory.bars import BarStore


def _bars(symbol: str, n: int = 30, start: str = "2020-01-01", seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = pd.bdate_range(start, periods=n, tz="UTC")
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    return pd.DataFrame({
        "symbol": symbol, "ts": ts, "open": close * 0.999, "high": close * 1.01, "low": close * 0.99,
        "close": close, "volume": rng.integers(1_000, 5_000, n).astype(float),
    })


def test_upsert_stores_every_row_and_reads_them_back_exactly(database):
    store = BarStore(database)
    frame = _bars("AAA")
    result = store.upsert(frame, "synthetic")
    back = store.read(["AAA"], as_of="2030-01-01")
    assert (result.rows, result.inserted, result.updated) == (30, 30, 0)
    np.testing.assert_array_equal(back["close"].to_numpy(), frame["close"].to_numpy())
    assert list(back["ts"]) == list(frame["ts"])


def test_rerunning_the_same_load_changes_nothing_and_keeps_ingested_at(database):
    store = BarStore(database)
    store.upsert(_bars("AAA"), "synthetic")
    with database.engine.connect() as conn:
        before = conn.execute(text("SELECT max(ingested_at), min(ingested_at) FROM bars")).one()
    again = store.upsert(_bars("AAA"), "synthetic")
    with database.engine.connect() as conn:
        after = conn.execute(text("SELECT max(ingested_at), min(ingested_at) FROM bars")).one()
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 30)
    assert before == after


def test_a_revised_bar_is_updated_and_restamped(database):
    store = BarStore(database)
    frame = _bars("AAA")
    store.upsert(frame, "synthetic")
    revised = frame.copy()
    revised.loc[3, "close"] = revised.loc[3, "close"] * 1.001
    result = store.upsert(revised, "synthetic")
    with database.engine.connect() as conn:
        stamps = conn.execute(text("SELECT count(DISTINCT ingested_at) FROM bars")).scalar()
    assert (result.inserted, result.updated) == (0, 1)
    assert stamps == 2


def test_read_never_returns_a_bar_after_as_of(database):
    store = BarStore(database)
    store.upsert(_bars("AAA", n=60), "synthetic")
    as_of = pd.Timestamp("2020-02-10", tz="UTC")
    bars = store.read(["AAA"], as_of=as_of)
    assert bars["ts"].max() <= as_of
    assert len(bars) == len(pd.bdate_range("2020-01-01", "2020-02-10"))


def test_changing_the_future_does_not_move_the_past(database):
    store = BarStore(database)
    frame = _bars("AAA", n=60)
    store.upsert(frame, "synthetic")
    as_of = "2020-02-10"
    before = store.read(["AAA"], as_of=as_of)
    future = frame["ts"] > pd.Timestamp(as_of, tz="UTC")
    perturbed = frame.copy()
    perturbed.loc[future, ["open", "high", "low", "close"]] *= 3.0
    store.upsert(perturbed, "synthetic")
    after = store.read(["AAA"], as_of=as_of)
    pd.testing.assert_frame_equal(before, after)


def test_bars_ingested_after_a_point_in_time_are_invisible_then(database):
    store = BarStore(database)
    store.upsert(_bars("AAA", n=10), "synthetic")
    with database.engine.connect() as conn:
        first_ingest = conn.execute(text("SELECT max(ingested_at) FROM bars")).scalar()
    store.upsert(_bars("BBB", n=10, seed=1), "synthetic")
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE bars SET ingested_at = ingested_at + interval '1 hour' WHERE symbol = 'BBB'"))
    seen = store.read(["AAA", "BBB"], as_of="2030-01-01", ingested_before=first_ingest)
    assert set(seen["symbol"]) == {"AAA"}


def test_closes_only_series_keep_null_open_high_low(database):
    store = BarStore(database)
    frame = _bars("CLO")
    frame[["open", "high", "low", "volume"]] = np.nan
    store.upsert(frame, "bundled")
    back = store.read(["CLO"], as_of="2030-01-01")
    summary = {s.symbol: s for s in store.symbols()}
    assert back[["open", "high", "low", "volume"]].isna().all().all()
    assert summary["CLO"].closes_only is True


def test_start_after_as_of_is_a_clear_error(database):
    with pytest.raises(ConfigError, match="after"):
        BarStore(database).read(["AAA"], start="2021-01-01", as_of="2020-01-01")


def test_a_failed_transaction_leaves_the_store_unchanged(database):
    store = BarStore(database)
    store.upsert(_bars("AAA"), "synthetic")
    with pytest.raises(RuntimeError), database.engine.begin() as conn:
        store.upsert(_bars("BBB", seed=2), "synthetic", connection=conn)
        raise RuntimeError("crash after the upsert, before commit")
    assert {s.symbol for s in store.symbols()} == {"AAA"}


def test_latest_is_the_last_bar_at_or_before_as_of_however_old_and_equals_read(database):
    store = BarStore(database)
    store.upsert(pd.concat([_bars("AAA", start="2020-01-01"), _bars("BBB", start="2021-06-01", seed=1)]),
                 source="test")
    as_of = pd.Timestamp("2021-06-15", tz="UTC")  # AAA's last bar is over a year older

    latest = store.latest(["aaa", "BBB", "ZZZ"], as_of=as_of)
    everything = store.read(["AAA", "BBB"], as_of=as_of)

    expected = everything.groupby("symbol").tail(1).reset_index(drop=True)
    pd.testing.assert_frame_equal(latest, expected)
    assert latest["ts"].max() <= as_of and list(latest["symbol"]) == ["AAA", "BBB"]
    assert store.latest(["AAA"], as_of="2019-12-31").empty


def test_read_returns_every_field_exactly_by_symbol_then_time_with_nulls_in_their_rows(database):
    store = BarStore(database)
    later = _bars("BBB", n=12, start="2020-01-08", seed=3)
    later.loc[4, "volume"] = np.nan  # one missing field must not shift the rows after it
    later.loc[7, ["open", "high", "low"]] = np.nan
    earlier = _bars("AAA", n=20, seed=4)
    store.upsert(pd.concat([later, earlier]), "synthetic")

    back = store.read(["BBB", "AAA"], as_of="2030-01-01")

    expected = pd.concat([earlier, later], ignore_index=True)
    assert list(back.columns) == ["symbol", "ts", "open", "high", "low", "close", "volume"]
    assert str(back["ts"].dtype) == "datetime64[ns, UTC]"
    pd.testing.assert_frame_equal(back, expected, check_exact=True)


def test_session_count_is_the_number_of_rows_of_the_symbols_panel(database):
    store = BarStore(database)
    store.upsert(pd.concat([_bars("AAA", n=20), _bars("BBB", n=20, start="2020-01-15", seed=1)]), "synthetic")

    whole = store.session_count(["AAA", "BBB"], as_of="2030-01-01")
    bounded = store.session_count(["AAA", "BBB"], "2020-01-20", "2020-02-05", as_of="2030-01-01")

    assert whole == store.read(["AAA", "BBB"], as_of="2030-01-01")["ts"].nunique()
    assert bounded == store.read(["AAA", "BBB"], "2020-01-20", "2020-02-05", as_of="2030-01-01")["ts"].nunique()
    assert 20 < whole < 40 and 0 < bounded < whole
