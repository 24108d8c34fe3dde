"""Event-driven engine: bar by bar, a strategy submits orders (market, target, limit, stop,
stop-limit) that fill on later bars through the numba order book of ``orderbook.py``.

Design: the order book, fills and accounting are numba functions shared with the vectorized
engine's ledger. Two paths run them:

- compiled (the common path): a strategy with ``intents(bars, config) -> OrderIntents`` (at most
  one new order per bar, decided from data up to that bar) runs entirely in ``run_compiled``.
- Python hook: a strategy with ``on_bar(ctx)`` is called after each bar's fills; ``ctx`` shows
  bars up to t only and submits orders into the same book (``process_bar`` per bar from Python).

Each symbol is its own single-symbol backtest with the full initial capital.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from errors import ConfigError, DataError
from quant.backtest.config import BacktestConfig
from quant.backtest.engine import package_result
from quant.backtest.kernels import N_STATS, clip_target
from quant.backtest.ledger import CUR_SIZE, N_TRADE_COLUMNS
from quant.backtest.orderbook import (
    A_CASH,
    A_EXPOSURE,
    A_FEES,
    A_MARK,
    A_NTRADES,
    A_POS,
    A_REALIZED,
    A_TRADED,
    BOOK_COLUMNS,
    LIMIT,
    MARKET,
    MAX_ORDERS,
    NONE,
    STOP,
    STOP_LIMIT,
    TARGET,
    add_order,
    finish,
    new_account,
    process_bar,
    run_compiled,
)
from quant.backtest.panels import Panels, panel_arrays, window_bounds
from quant.backtest.result import BacktestResult, data_hash
from quant.backtest.sizing import size_scale
from quant.backtest.vectorized import VectorizedRun, fill_reference


@dataclass(frozen=True)
class EventBars:
    """One symbol's float64 bars (NaN = missing; open/high/low all NaN for closes-only data)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray


@dataclass(frozen=True)
class OrderIntents:
    """Per bar, at most one order decided at that bar's close: ``kind`` (orderbook kinds, NONE =
    no order), ``amount`` (fraction for TARGET, signed shares otherwise), ``limit``/``stop`` ($)."""

    kind: np.ndarray
    amount: np.ndarray
    limit: np.ndarray
    stop: np.ndarray

    @classmethod
    def empty(cls, n: int) -> OrderIntents:
        return cls(np.zeros(n, dtype=np.int64), np.zeros(n), np.full(n, np.nan), np.full(n, np.nan))


class Strategy(Protocol):
    def on_bar(self, ctx: BarContext) -> None: ...


class BarContext:
    """What a strategy sees at bar ``t``'s close: bars up to t, the account, and order methods."""

    def __init__(self, bars: EventBars, config: BacktestConfig, scale: np.ndarray, book: np.ndarray,
                 acct: np.ndarray, symbol: str):
        self._bars, self._scale, self._book, self._acct = bars, scale, book, acct
        self.config, self.symbol, self.t = config, symbol, -1

    @property
    def close(self) -> np.ndarray:
        return self._bars.close[: self.t + 1]

    @property
    def open(self) -> np.ndarray:
        return self._bars.open[: self.t + 1]

    @property
    def high(self) -> np.ndarray:
        return self._bars.high[: self.t + 1]

    @property
    def low(self) -> np.ndarray:
        return self._bars.low[: self.t + 1]

    @property
    def position(self) -> float:
        return float(self._acct[A_POS])

    @property
    def cash(self) -> float:
        return float(self._acct[A_CASH])

    @property
    def equity(self) -> float:
        pos = self._acct[A_POS]
        return float(self._acct[A_CASH] + (pos * self._acct[A_MARK] if pos != 0 else 0.0))

    def _submit(self, kind: int, amount: float, limit: float = np.nan, stop: float = np.nan) -> None:
        if not add_order(self._book, self._acct, kind, float(amount), float(limit), float(stop),
                         float(self._scale[self.t])):
            raise ConfigError(f"{self.symbol}: more than {MAX_ORDERS} open orders", details={"bar": self.t})

    def order_target(self, fraction: float) -> None:
        """Market order to hold ``fraction`` of equity (sized at the fill; replaces an unfilled target)."""
        self._submit(TARGET, clip_target(float(fraction), self.config.allow_short))

    def buy(self, quantity: float, *, limit: float | None = None, stop: float | None = None) -> None:
        """Buy whole ``quantity`` shares: market, limit, stop or stop-limit (both prices given)."""
        self._order(abs(np.floor(quantity)), limit, stop)

    def sell(self, quantity: float, *, limit: float | None = None, stop: float | None = None) -> None:
        """Sell whole ``quantity`` shares (short only when ``allow_short``)."""
        self._order(-abs(np.floor(quantity)), limit, stop)

    def order_value(self, dollars: float, *, limit: float | None = None, stop: float | None = None) -> None:
        """Buy (dollars > 0) or sell whole shares worth ``dollars`` at the last close."""
        self._order(np.trunc(dollars / self.close[-1]), limit, stop)

    def cancel_all(self) -> None:
        self._book[:, 0] = 0.0

    def _order(self, qty: float, limit: float | None, stop: float | None) -> None:
        if qty == 0:
            return
        if limit is not None and stop is not None:
            self._submit(STOP_LIMIT, qty, limit, stop)
        elif limit is not None:
            self._submit(LIMIT, qty, limit=limit)
        elif stop is not None:
            self._submit(STOP, qty, stop=stop)
        else:
            self._submit(MARKET, qty)


class TargetPositionStrategy:
    """Trades a precomputed target-fraction series exactly as the vectorized engine does: a market
    target order whenever the (clipped) target changes; NaN = no decision."""

    def __init__(self, targets: np.ndarray):
        self.targets = np.asarray(targets, dtype=np.float64)
        self._decided = 0.0

    def on_bar(self, ctx: BarContext) -> None:
        f = self.targets[ctx.t]
        if f == f:
            f = clip_target(f, ctx.config.allow_short)
            if f != self._decided:
                self._decided = f
                ctx.order_target(f)

    def intents(self, bars: EventBars, config: BacktestConfig) -> OrderIntents:
        intents = OrderIntents.empty(len(bars.close))
        f = np.clip(self.targets, -1.0 if config.allow_short else 0.0, 1.0)
        valid = ~np.isnan(f)
        last = np.maximum.accumulate(np.where(valid, np.arange(len(f)), -1))  # last decision index
        held = np.where(last >= 0, f[np.maximum(last, 0)], 0.0)
        change = valid & (held != np.concatenate(([0.0], held[:-1])))
        intents.kind[change] = TARGET
        intents.amount[change] = held[change]
        return intents


@dataclass(frozen=True)
class EventRun:
    """One symbol's event run: equity ($) and position (shares) per bar, trades (k, 8) with
    ``ledger.TRADE_COLUMNS``, ``stats`` with ``kernels.STAT_FIELDS``, fill convention used."""

    equity: np.ndarray
    positions: np.ndarray
    trades: np.ndarray
    stats: np.ndarray
    fill_convention: str


def run_event(strategy: Any, bars: EventBars, config: BacktestConfig | None = None, *, symbol: str = "",
              compiled: bool | None = None) -> EventRun:
    """Run ``strategy`` over one symbol's bars. ``compiled=None`` uses the compiled path when the
    strategy offers ``intents``; False forces the ``on_bar`` hook."""
    config = config or BacktestConfig()
    n = len(bars.close)
    if not len(bars.open) == len(bars.high) == len(bars.low) == n:
        raise DataError(f"{symbol}: open/high/low/close lengths differ", details={"symbol": symbol})
    ref, conventions = fill_reference(bars.open[:, None], bars.close[:, None], config)
    ref = np.ascontiguousarray(ref[:, 0])
    scale = size_scale(bars.close[:, None], config)[:, 0]
    costs = np.array([config.slippage_bps, config.commission_per_order, config.commission_bps,
                      1.0 if config.allow_short else 0.0, config.commission_per_share])
    equity, position = np.empty(n), np.empty(n)
    use_compiled = hasattr(strategy, "intents") if compiled is None else compiled
    if use_compiled:
        it = strategy.intents(bars, config)
        if not len(it.kind) == len(it.amount) == len(it.limit) == len(it.stop) == n:
            raise DataError(f"{symbol}: order intents must have one row per bar", details={"symbol": symbol})
        trades = np.zeros((int(np.count_nonzero(it.kind)) + 2, N_TRADE_COLUMNS))  # a trade needs an order
        acct, n_tr, unfilled = run_compiled(bars.open, bars.high, bars.low, bars.close, ref, it.kind, it.amount,
                                            it.limit, it.stop, scale, config.initial_capital, costs, equity, position,
                                            trades, True)
    else:
        acct = new_account(config.initial_capital)
        book = np.zeros((MAX_ORDERS, BOOK_COLUMNS))
        cur = np.zeros(CUR_SIZE)
        ctx = BarContext(bars, config, scale, book, acct, symbol)
        trades = np.zeros((64, N_TRADE_COLUMNS))
        for t in range(n):
            if acct[A_NTRADES] >= len(trades) - 2:  # grow the trade buffer between bars
                trades = np.concatenate((trades, np.zeros_like(trades)))
            equity[t] = process_bar(t, bars.open, bars.high, bars.low, bars.close, ref, book, acct, cur, trades, True,
                                    costs)
            position[t] = acct[A_POS]
            ctx.t = t
            strategy.on_bar(ctx)
        n_tr, unfilled = finish(book, acct, cur, trades, True, n - 1)
    stats = np.zeros(N_STATS)
    stats[:] = (n_tr, acct[A_FEES], unfilled, acct[A_EXPOSURE], acct[A_TRADED], equity[-1] if n else np.nan,
                acct[A_REALIZED])
    return EventRun(equity=equity, positions=position, trades=trades[:n_tr].copy(), stats=stats,
                    fill_convention=conventions[0])


def event_backtest(strategy_factory: Callable[[str], Any], panels: Panels, config: BacktestConfig | None = None, *,
                   strategy_id: str = "", params: dict[str, Any] | None = None) -> BacktestResult:
    """Event-engine backtest of every symbol of ``panels`` (one strategy instance per symbol).

    ``config.start_date/end_date`` window the run as in the vectorized engine: strategies see the
    bar before the window (so a decision carried in from warm-up fills at the window's first bar)
    and the bars inside it; results cover the window only. A strategy that needs more warm-up
    history should be given precomputed targets, as ``TargetPositionStrategy`` is."""
    config = config or BacktestConfig()
    if config.capital_mode != "per_symbol":
        raise ConfigError("the event engine runs per_symbol capital only", details={"field": "capital_mode"})
    lo, hi = window_bounds(panel_arrays(panels).index, config.start_date, config.end_date)
    carry = 1 if lo > 0 else 0  # the bar before the window: its decision fills at the window's first bar
    if (lo, hi) != (0, len(panels["close"])):
        panels = {f: frame.iloc[lo - carry:hi] for f, frame in panels.items()}
    arrays = panel_arrays(panels)
    n, n_sym = arrays.close.shape
    nan = np.full((n, n_sym), np.nan)
    fields = {f: (panels[f].reindex(index=arrays.index, columns=list(arrays.symbols)).to_numpy(np.float64)
                  if f in panels else nan) for f in ("open", "high", "low")}
    runs = []
    for i, symbol in enumerate(arrays.symbols):
        bars = EventBars(*(np.ascontiguousarray(fields[f][:, i]) for f in ("open", "high", "low")),
                         np.ascontiguousarray(arrays.close[:, i]))
        runs.append(run_event(strategy_factory(symbol), bars, config, symbol=symbol))
    run = VectorizedRun(equity=np.stack([r.equity for r in runs], axis=1)[:, :, None],
                        positions=np.stack([r.positions for r in runs], axis=1)[:, :, None],
                        trades={(i, 0): r.trades for i, r in enumerate(runs)},
                        stats=np.stack([r.stats for r in runs])[:, None, :],
                        fill_convention=tuple(r.fill_convention for r in runs), capital_mode="per_symbol",
                        start=carry, end=n)
    digest = data_hash(*(panels[f] for f in ("open", "high", "low", "close") if f in panels))
    return package_result(run, arrays, config, digest, strategy_id=strategy_id, params=params, engine="event")


__all__ = ["NONE", "BarContext", "EventBars", "EventRun", "OrderIntents", "Strategy", "TargetPositionStrategy",
           "event_backtest", "run_event"]
