"""``run_paper``: a strategy trading a paper account on its simulated market, bar by bar.

The account's market clock moves from where it stands (or ``start``) through the stored bars to ``end``. At
each bar resting orders are matched, the breakers see the new equity, the strategy's target fractions for that
bar are read (``Strategy.signals`` decides row t from data <= t only, so they are computed once over the
history up to ``end``), and the difference to the position, when it is worth trading, becomes an order intent
sent through ``ExecutionService.place``: every order passes the risk policy, the stored approval and the
trading state, exactly as an order from any interface.

The run refuses at once when the account is halted or the strategy is not at the paper (or live) stage, and
stops at the bar a breaker halts the account. Sizing: each symbol gets an equal share of equity times
``max_symbol_concentration_pct`` (never above 1/n), capped so the loss at the stop distance stays within
``max_risk_per_trade_pct``; a position is re-sized only when its target changes or it drifts more than
``REBALANCE_BAND`` from the wanted shares.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pandas as pd

from config import Settings, get_settings
from errors import ConfigError, DataError
from guardrails.policy import Actor, Operation, require
from memory.bars import BarStore, as_utc_timestamp
from memory.db import Database
from memory.market_clock import SIMULATED, MarketClockStore
from memory.orders import OrderRepository
from memory.paper_broker import PaperBroker
from memory.strategies import StrategyRegistry
from quant.backtest.panels import panels_from_bars
from quant.execution.gate import Denied
from quant.execution.orders import Order, OrderIntent, Side
from quant.risk.decision import TradingStatus
from quant.strategies.registry import get_strategy, validate_params
from services.execution import ExecutionService
from services.market_clock import MarketClockService, SimulatedClock, utc_now
from services.paper_accounts import account_id as checked_account
from services.paper_run_report import PaperRunReport, sizing_inputs

WARM_UP = timedelta(days=400)
REBALANCE_BAND = Decimal("0.10")  # re-size a held position only beyond 10 % drift from the wanted shares
Progress = Callable[[int, int, datetime], None]
DEFAULT_STARTING_CASH = Decimal(100_000)


@dataclass(frozen=True)
class PaperCosts:
    """What the paper broker charges: dollars per order and per share, basis points of the notional and of
    slippage; ``starting_cash_usd`` opens a new account (None: the account's own, $100,000 for a new one)."""

    starting_cash_usd: Decimal | None = None
    commission_usd: Decimal = Decimal(0)
    commission_per_share_usd: Decimal = Decimal(0)
    commission_bps: Decimal = Decimal(0)
    slippage_bps: Decimal = Decimal(5)

    def as_config(self, starting_cash_usd: Decimal) -> dict[str, float]:
        """In the names a backtest config uses, so people read both the same way (``quant.display``)."""
        return {"initial_capital": float(starting_cash_usd), "commission_per_order": float(self.commission_usd),
                "commission_per_share": float(self.commission_per_share_usd),
                "commission_bps": float(self.commission_bps), "slippage_bps": float(self.slippage_bps)}


def _strategy(database: Database, strategy: str, params: dict[str, Any] | None) -> tuple[str, str, Any]:
    """(strategy id, quant strategy name, validated params) of a registered strategy at stage paper or live."""
    registry = StrategyRegistry(database)
    record = registry.get(strategy)
    if record is None:
        raise ConfigError(f"{strategy!r} is not a registered strategy: paper trading runs a strategy promoted to "
                          "paper (register it, backtest it, and ask for the paper approval: `promote it to paper` "
                          "in `quantpilot chat`)", code="strategy_not_at_paper", details={"strategy": strategy})
    running = registry.running(record.id)  # the version that trades, when a newer draft waits for its approvals
    if running is None:
        raise ConfigError(f"strategy {record.id} is at stage {record.stage}; paper trading needs it approved to "
                          "paper first (`promote it to paper` in `quantpilot chat`, decided by an approver)",
                          code="strategy_not_at_paper", details={"strategy": record.id, "stage": record.stage})
    return record.id, running.kind, validate_params(running.kind, {**running.params, **(params or {})})


def _window(database: Database, settings: Settings, account: str, start: Any, end: Any) -> tuple[Any, Any]:
    """(first bar time, last bar time) of the run on the account's simulated clock (refusing real time, and a
    start before the clock for an account that has orders)."""
    clock = MarketClockService(database, settings).clock(account)
    if not clock.simulated:
        raise ConfigError(f"account {account} runs on real time; a replay needs a simulated market (another "
                          f"account, e.g. --account replay-1)", code="real_time_clock", details={"account": account})
    lower = as_utc_timestamp(start)
    if lower is None:
        lower = pd.Timestamp(clock.now) + pd.Timedelta(microseconds=1)
    elif lower < pd.Timestamp(clock.now) and OrderRepository(database).list(account_id=account, limit=1):
        raise ConfigError(f"account {account}'s clock is at {clock.now:%Y-%m-%d} and it has orders: its market only "
                          f"moves forward (start after it, or use another account)", code="clock_backward",
                          details={"account": account})
    newest = MarketClockStore(database).newest_session()
    upper = as_utc_timestamp(end) or (pd.Timestamp(newest) if newest else pd.Timestamp(clock.now))
    if upper < lower:
        raise ConfigError(f"nothing to replay: the run would end ({upper.date()}) before it starts ({lower.date()})",
                          details={"field": "end"})
    return lower, upper


def run_paper(database: Database, actor: Actor, *, strategy: str, symbols: list[str],
              start: date | str | None = None, end: date | str | None = None, speed: float = 0.0,
              params: dict[str, Any] | None = None, settings: Settings | None = None, account_id: str | None = None,
              costs: PaperCosts = PaperCosts(), progress: Progress | None = None) -> PaperRunReport:
    """Trade ``strategy`` on ``symbols`` in the paper account from its clock (or ``start``) to ``end`` (default:
    the newest stored bar), as ``actor`` (every order in their name), charging ``costs``; ``speed`` = bars per
    second (0 = as fast as possible); ``progress(done, total, now)`` after each bar. A starting capital other than
    an existing account's is refused (an account keeps its history: use another ``account_id``)."""
    require(actor, Operation.RUN_PAPER)
    settings = settings or get_settings()
    account = checked_account(account_id, settings)
    symbols = sorted({s.strip().upper() for s in symbols if s.strip()})
    if not symbols:
        raise ConfigError("paper run needs --symbols", details={"field": "symbols"})
    strategy_id, kind, validated = _strategy(database, strategy, params)
    clock = SimulatedClock(utc_now())
    broker = PaperBroker(database, clock=clock, account_id=account,
                         starting_cash_usd=costs.starting_cash_usd or DEFAULT_STARTING_CASH,
                         slippage_bps=costs.slippage_bps, commission_usd=costs.commission_usd,
                         commission_bps=costs.commission_bps, commission_per_share_usd=costs.commission_per_share_usd)
    opened_with = Decimal(broker.ledger()["starting_cash_usd"])
    if costs.starting_cash_usd is not None and opened_with != Decimal(costs.starting_cash_usd):
        raise ConfigError(f"paper account {account!r} already started with ${opened_with:,.2f}; give another "
                          f"--account for a starting capital of ${Decimal(costs.starting_cash_usd):,.2f}",
                          details={"field": "starting_cash_usd", "account": account})
    service = ExecutionService(database, broker, settings=settings, clock=clock, channel=actor.channel.value,
                               record_clock=utc_now)
    state = service.trading_state()  # as stored: refusing writes nothing, not even an equity mark
    if state.status is TradingStatus.HALTED:
        raise ConfigError(f"paper run refused: account {account} is halted ({state.reason}). To lift it: "
                          f"{state.release}", code="account_halted", details={"account": account})
    lower, upper = _window(database, settings, account, start, end)
    history = BarStore(database).read(symbols, lower - WARM_UP, as_of=upper)
    missing = sorted(set(symbols) - set(history["symbol"].unique()))
    if missing:
        raise DataError(f"no stored bars for {', '.join(missing)}; run `quantpilot data load --source bundled "
                        f"--symbols {','.join(missing)}`", details={"symbols": missing})
    stamps = [t for t in sorted(history["ts"].unique()) if t >= lower]
    if not stamps:
        raise DataError(f"no stored bar of {', '.join(symbols)} from {lower:%Y-%m-%d} to {upper:%Y-%m-%d}: nothing to "
                        f"replay in account {account} (its clock is past its data; load more or use another account)",
                        code="end_of_data", details={"account": account})
    clock.now = stamps[0].to_pydatetime()
    report = PaperRunReport(strategy_id, tuple(symbols), account, start_equity_usd=broker.get_account().equity_usd,
                            costs=costs.as_config(opened_with))
    try:
        _replay(service, actor, report, history, stamps, kind, validated, speed, progress)
    finally:
        if report.bars:
            MarketClockStore(database).put(account, SIMULATED, clock.now, by=actor.name)
    report.end_equity_usd = broker.get_account().equity_usd
    return report


def _replay(service: ExecutionService, actor: Actor, report: PaperRunReport, history: pd.DataFrame,
            stamps: list[pd.Timestamp], kind: str, validated: Any, speed: float, progress: Progress | None) -> None:
    clock = service.clock
    signals = get_strategy(kind).signals(panels_from_bars(history), validated)
    sizing = sizing_inputs(history)
    limits = service.limits.current()
    symbols = list(report.symbols)
    share = min(Decimal(1) / len(symbols), Decimal(str(limits.max_symbol_concentration_pct)) / 100 * Decimal("0.95"))
    risk_fraction = Decimal(str(limits.max_risk_per_trade_pct)) / 100 * Decimal("0.95")
    run_key = hashlib.sha256(f"{report.strategy_id}|{symbols}|{time.time_ns()}".encode()).hexdigest()[:12]
    previous: dict[str, float] = {}
    for done, ts in enumerate(stamps, start=1):
        clock.now = ts.to_pydatetime()  # type: ignore[attr-defined]
        # a bar is one flat transaction: its fills, marks, orders and audit rows are stored together or not at all
        with service.database.unit_of_work(savepoints=False):
            book = service.book()
            if book.open_orders and service.match_resting(actor):  # resting orders meet the new bar first
                book = service.book()
            state = service.trading_state(book)
            report.bars, report.end_ts = done, clock.now  # type: ignore[attr-defined]
            if state.status is TradingStatus.HALTED:
                report.stopped = f"account {report.account_id} halted on {ts:%Y-%m-%d}: {state.reason}"
                report.release = state.release
                break
            targets = signals.loc[ts]
            for symbol in symbols:
                intent = _intent(report, book, sizing, symbol, ts, float(targets.get(symbol, 0.0)),
                                 previous.get(symbol), share, risk_fraction, f"paper:{run_key}:{ts.isoformat()}")
                if intent is not None:
                    _count(report, service.place(actor, intent))
        previous = {s: float(targets.get(s, 0.0)) for s in symbols}
        if progress is not None:
            progress(done, len(stamps), ts.to_pydatetime())
        if speed > 0:
            time.sleep(1.0 / speed)


def _intent(report: PaperRunReport, book: Any, sizing: Any, symbol: str, ts: pd.Timestamp, target: float,
            before: float | None, share: Decimal, risk_fraction: Decimal, decision_key: str) -> OrderIntent | None:
    """The order that moves ``symbol`` to its target at ``ts``, or None when there is nothing worth trading (the
    target is unchanged and the position within ``REBALANCE_BAND`` of the wanted shares)."""
    price, stop = sizing.at(symbol, ts)
    if price is None:
        return None
    want = book.equity_usd * share * Decimal(repr(target)) / price
    if stop:
        cap = book.equity_usd * risk_fraction / stop
        want = max(min(want, cap), -cap)
    delta = want.quantize(Decimal(1), ROUND_DOWN) - book.positions.get(symbol, Decimal(0))
    if delta == 0 or (target == before and abs(delta) <= abs(want) * REBALANCE_BAND):
        return None
    return OrderIntent(symbol=symbol, side=Side.BUY if delta > 0 else Side.SELL, qty=abs(delta),
                       strategy_id=report.strategy_id, decision_key=decision_key)


def _count(report: PaperRunReport, outcome: Any) -> None:
    if isinstance(outcome, Order):
        report.orders[outcome.status.value] += 1
        return
    code = outcome.code.value if isinstance(outcome, Denied) else outcome.codes[0].value
    report.refusals[code] += 1
    report.first_refusal = report.first_refusal or (outcome.detail if isinstance(outcome, Denied) else outcome.reason)
