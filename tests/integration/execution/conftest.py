"""Fixtures for the Postgres execution path: synthetic bars, a fixed clock, a strategy at stage paper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from config import Settings

SYMBOLS = ("AAA", "BBB")
FIRST_DAY = pd.Timestamp("2024-01-02", tz="UTC")
N_BARS = 60


def synthetic_bars(symbols=SYMBOLS, n=N_BARS, seed=7) -> pd.DataFrame:
    """Business-day OHLCV around $100 with ~1% daily moves; volume 1,000,000 shares."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range(FIRST_DAY, periods=n, tz="UTC")
    frames = []
    for i, symbol in enumerate(symbols):
        close = 100 * (1 + i * 0.5) * np.exp(np.cumsum(rng.normal(0.0005, 0.01, n)))
        open_ = close * (1 + rng.normal(0, 0.002, n))
        high = np.maximum(open_, close) * 1.01
        low = np.minimum(open_, close) * 0.99
        frames.append(pd.DataFrame({"symbol": symbol, "ts": days, "open": open_, "high": high, "low": low,
                                    "close": close, "volume": 1_000_000.0}))
    return pd.concat(frames, ignore_index=True)


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture()
def bars(database):
    from memory.bars import BarStore

    frame = synthetic_bars()
    BarStore(database).upsert(frame, source="test")
    return frame


@pytest.fixture()
def clock(bars) -> MovableClock:
    """After the close of the last stored bar."""
    return MovableClock(bars["ts"].max().to_pydatetime() + timedelta(hours=21))


@pytest.fixture()
def settings(test_home) -> Settings:
    return Settings(home=test_home)


def approve_stage(database, strategy_id: str, stage: str, *, approver: str = "alice") -> str:
    """Store an approved request of kind ``stage`` for the strategy's current version and move it there."""
    from memory.approvals import ApprovalStore
    from memory.strategies import StrategyRegistry

    registry, store = StrategyRegistry(database), ApprovalStore(database)
    record = registry.get(strategy_id)
    now = datetime.now(UTC)
    approval_id = f"apr_{stage}_{strategy_id}"
    store.save_request({"id": approval_id, "kind": stage, "requester": "bob", "channel": "cli", "thread_id": None,
                        "subject": {"strategy_id": strategy_id, "version": record.version,
                                    "params_hash": record.params_hash, "from_stage": record.stage,
                                    "to_stage": stage},
                        "evidence": {}, "summary": "", "created_at": now, "expires_at": now + timedelta(days=3)})
    store.record_decision(approval_id, "approved", approver, "cli", None, now)
    registry.transition(strategy_id, stage, actor=approver, approval_id=approval_id)
    return approval_id


@pytest.fixture()
def paper_strategy(database) -> str:
    from memory.strategies import StrategyRegistry

    StrategyRegistry(database).register("trend", "trend", "sma_crossover", {"fast": 5, "slow": 20})
    approve_stage(database, "trend", "paper")
    return "trend"


@pytest.fixture()
def broker(database, clock):
    from memory.paper_broker import PaperBroker

    return PaperBroker(database, clock=clock, slippage_bps=5, commission_usd=1)


@pytest.fixture()
def service(database, broker, clock, settings):
    from services.execution import ExecutionService

    return ExecutionService(database, broker, settings=settings, clock=clock, channel="cli")


EXECUTION_TABLES = ("orders", "order_events", "paper_accounts", "paper_orders", "fills", "positions",
                    "trading_state", "trading_state_events", "risk_limits", "risk_limit_proposals")


def digest(database) -> dict[str, str]:
    """md5 of every execution table's full contents (ordered), to prove nothing changed."""
    out = {}
    with database.engine.connect() as conn:
        for table in EXECUTION_TABLES:
            out[table] = conn.execute(text(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t")).scalar_one()
    return out


def count(database, table: str, where: str = "true", **params) -> int:
    with database.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params).scalar_one()


def intent(symbol="AAA", side="buy", qty=10, strategy_id="trend", key="k1", **extra):
    from decimal import Decimal

    from quant.execution.orders import OrderIntent

    return OrderIntent(symbol=symbol, side=side, qty=Decimal(str(qty)), strategy_id=strategy_id,
                       decision_key=key, **extra)


def stranded_position(database, settings, qty: int = 10) -> None:
    """``qty`` AAA held in the default paper account (bought on its simulated market), then the account switched to
    real time: its only prices are months old, so any close of it is refused as STALE_PRICE. Needs ``bars`` and a
    strategy ``trend`` at paper."""
    from services.execution_path import execution_service
    from services.market_clock import MarketClockService
    from tests.support.people import BOB, DANA

    assert execution_service(database, settings).place(BOB, intent(qty=qty, key="stranded")).status.value == "filled"
    MarketClockService(database, settings).use_real_time(DANA)
