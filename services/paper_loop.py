"""``run_paper``: replay stored history as a live feed, bar by bar, on a simulated clock.

At each bar the clock moves to the bar's timestamp, resting paper orders are matched, the strategy's
target fractions are computed from bars at or before now only (``get_strategy(kind).signals``), and the
difference to the current position becomes an order intent sent through ``ExecutionService.place`` —
so every order passes the risk policy, the stored approval and the trading state. A strategy that is
not at stage paper (and has no covering approval) gets every order refused, each with its reason.

Sizing: each symbol gets an equal share of equity times ``max_symbol_concentration_pct`` (never above
1/n), capped so the loss at the stop distance stays within ``max_risk_per_trade_pct``.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pandas as pd

from config import Settings
from errors import ConfigError, DataError
from guardrails.policy import Actor, Operation, require
from memory.bars import BarStore, as_utc_timestamp
from memory.db import Database
from memory.paper_broker import PaperBroker
from memory.strategies import StrategyRegistry
from quant.backtest.panels import panels_from_bars
from quant.execution.gate import Denied
from quant.execution.orders import Order, OrderIntent, Side
from quant.strategies.registry import get_strategy, validate_params
from services.execution import ExecutionService, market_snapshot

WARM_UP = timedelta(days=400)


class SimulatedClock:
    """A clock the loop moves; ``__call__`` returns the current simulated UTC time."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class PaperRunReport:
    """What a run did: bars replayed, orders sent (by final status), refusals by code, end equity (dollars)."""

    strategy_id: str
    symbols: tuple[str, ...]
    bars: int = 0
    orders: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)
    first_refusal: str = ""
    start_equity_usd: Decimal = Decimal(0)
    end_equity_usd: Decimal = Decimal(0)

    def to_dict(self) -> dict[str, Any]:
        return {"strategy_id": self.strategy_id, "symbols": list(self.symbols), "bars": self.bars,
                "orders": dict(self.orders), "refusals": dict(self.refusals), "first_refusal": self.first_refusal,
                "start_equity_usd": str(self.start_equity_usd), "end_equity_usd": str(self.end_equity_usd)}


def _strategy(database: Database, strategy: str, params: dict[str, Any] | None) -> tuple[str, str, Any]:
    """(strategy id, quant strategy name, validated params): a registered id, else a quant strategy name."""
    registry = StrategyRegistry(database)
    record = registry.get(strategy)
    if record is not None:  # the version that trades, when a newer draft waits for its approvals
        running = registry.running(record.id)
        kind, stored = (running.kind, running.params) if running is not None else (record.kind, record.params)
        return record.id, kind, validate_params(kind, {**stored, **(params or {})})
    return strategy, strategy, validate_params(strategy, params)


def run_paper(database: Database, actor: Actor, *, strategy: str, symbols: list[str],
              start: date | str | None = None, end: date | str | None = None, speed: float = 0.0,
              params: dict[str, Any] | None = None, settings: Settings | None = None, account_id: str = "paper",
              starting_cash_usd: object = 100_000, slippage_bps: object = 5, commission_bps: object = 0
              ) -> PaperRunReport:
    """Replay bars of ``symbols`` in [start, end] through the gated paper broker, as ``actor`` (every order in
    their name); ``speed`` = bars per second (0 = as fast as possible)."""
    require(actor, Operation.RUN_PAPER)
    symbols = sorted({s.strip().upper() for s in symbols if s.strip()})
    if not symbols:
        raise ConfigError("paper run needs --symbols", details={"field": "symbols"})
    strategy_id, kind, validated = _strategy(database, strategy, params)
    bars_store = BarStore(database)
    upper = as_utc_timestamp(end) or pd.Timestamp.now(tz="UTC")
    lower = as_utc_timestamp(start)
    history = bars_store.read(symbols, (lower - WARM_UP) if lower is not None else None, as_of=upper)
    missing = sorted(set(symbols) - set(history["symbol"].unique()))
    if missing:
        raise DataError(f"no stored bars for {', '.join(missing)}; run `quantpilot data load --source bundled "
                        f"--symbols {','.join(missing)}`", details={"symbols": missing})
    stamps = sorted(t for t in history["ts"].unique() if lower is None or t >= lower)
    clock = SimulatedClock(stamps[0].to_pydatetime() if stamps else datetime.now(UTC))
    broker = PaperBroker(database, clock=clock, account_id=account_id, starting_cash_usd=starting_cash_usd,
                         slippage_bps=slippage_bps, commission_bps=commission_bps)
    service = ExecutionService(database, broker, settings=settings, clock=clock, channel="system")
    run_key = hashlib.sha256(f"{strategy_id}|{symbols}|{time.time_ns()}".encode()).hexdigest()[:12]
    report = PaperRunReport(strategy_id, tuple(symbols), start_equity_usd=broker.get_account().equity_usd)
    limits = service.limits.current()
    signals_of = get_strategy(kind).signals
    for ts in stamps:
        clock.now = ts.to_pydatetime()
        broker.match_open_orders()
        seen = history[history["ts"] <= ts]
        targets = signals_of(panels_from_bars(seen), validated).iloc[-1]
        account = broker.get_account()
        held = {p.symbol: p.qty for p in broker.get_positions()}
        market = market_snapshot(bars_store, symbols, clock.now)
        concentration = Decimal(str(limits.max_symbol_concentration_pct)) / 100 * Decimal("0.95")
        share = min(Decimal(1) / len(symbols), concentration)
        for symbol in symbols:
            price = market.last_price.get(symbol)
            target = Decimal(repr(float(targets.get(symbol, 0.0))))
            if price is None:
                continue
            want = account.equity_usd * share * target / price
            stop = market.stop_distance_usd.get(symbol)
            if stop:
                cap = account.equity_usd * Decimal(str(limits.max_risk_per_trade_pct)) / 100 / stop * Decimal("0.95")
                want = max(min(want, cap), -cap)
            delta = want.quantize(Decimal(1), ROUND_DOWN) - held.get(symbol, Decimal(0))
            if delta == 0:
                continue
            intent = OrderIntent(symbol=symbol, side=Side.BUY if delta > 0 else Side.SELL, qty=abs(delta),
                                 strategy_id=strategy_id, decision_key=f"paper:{run_key}:{ts.isoformat()}")
            outcome = service.place(actor, intent)
            if isinstance(outcome, Order):
                report.orders[outcome.status.value] += 1
            else:
                code = outcome.code.value if isinstance(outcome, Denied) else outcome.codes[0].value
                report.refusals[code] += 1
                report.first_refusal = report.first_refusal or (
                    outcome.detail if isinstance(outcome, Denied) else outcome.reason)
        report.bars += 1
        if speed > 0:
            time.sleep(1.0 / speed)
    report.end_equity_usd = broker.get_account().equity_usd
    return report
