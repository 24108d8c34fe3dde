"""The strategy plugin interface (seed 004) and the conventions every engine relies on.

Vectorized path (backtests, parameter grids)
    ``Strategy.signals(data, params) -> pd.DataFrame`` is a classmethod.
    ``data`` is a mapping of wide panels keyed by field: ``"close"`` required, ``"open"``,
    ``"high"``, ``"low"``, ``"volume"`` optional (the shape of
    ``quant.backtest.panels.panels_from_bars``). Each panel: index = ts (tz-aware UTC,
    ascending), columns = symbols, same index/columns as close. open/high/low are NaN for
    closes-only data; a strategy needing them raises ``DataError`` (no built-in does).
    ``params`` is the strategy's validated pydantic model (``registry.validate_params``).
    The output is a float frame of *target position fractions* with the close panel's index and
    columns: 0 = flat, 1 = fully long the capital allocated to that symbol, -1 = fully short,
    values in [-1, 1], never NaN (warm-up bars are 0). Row t is decided at bar t's close from
    data <= t only; the backtest engine fills it at bar t+1. Changing bars after t never
    changes rows <= t (tests perturb the future to prove it).
    Single-symbol strategies compute each column independently. Cross-sectional strategies
    (``xs_momentum``) output portfolio weights instead: each row sums to <= 1.
    Long-only by default; ``allow_short=True`` where offered enables -1.

Event-driven path (paper/live)
    ``initialize(config)`` → ``on_market_data(bar)`` per bar → ``generate_signals(state)`` →
    ``risk_check(signals, portfolio)`` → ``on_fill(fill)`` → ``daily_close()``. The default
    ``generate_signals`` runs ``signals`` on the bars received so far and emits the last row,
    so both paths agree by construction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from errors import ConfigError, DataError
from quant.execution.orders import OrderType, Side

Panels = Mapping[str, pd.DataFrame]
BAR_FIELDS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class Signal:
    """A strategy's wish for ``symbol`` at ``ts``: hold ``target_fraction`` in [-1, 1] of its
    allocated capital; ``strength`` in [0, 1] is informational (e.g. a model probability)."""

    symbol: str
    ts: pd.Timestamp
    target_fraction: float
    strength: float = 1.0
    reason: str = ""

    def __post_init__(self) -> None:
        if not -1.0 <= self.target_fraction <= 1.0:
            raise ConfigError(
                f"signal for {self.symbol}: target_fraction {self.target_fraction} outside [-1, 1]",
                details={"field": "target_fraction", "symbol": self.symbol},
            )


@dataclass(frozen=True)
class OrderIntent:
    """A strategy-level order: ``qty`` shares or a ``target_fraction`` (exactly one), sized
    into ``quant.execution.orders.OrderIntent`` by the execution layer. Limit/stop prices in
    the symbol's quote currency, required exactly when the order type needs them."""

    symbol: str
    side: Side
    qty: float | None = None
    target_fraction: float | None = None
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_price: float | None = None

    def __post_init__(self) -> None:
        def reject(field: str, why: str) -> ConfigError:
            return ConfigError(f"order for {self.symbol}: {field} {why}", details={"field": field})

        if (self.qty is None) == (self.target_fraction is None):
            raise reject("qty", "or target_fraction must be given, not both")
        if self.qty is not None and self.qty <= 0:
            raise reject("qty", f"must be > 0, got {self.qty}")
        if self.target_fraction is not None and not -1.0 <= self.target_fraction <= 1.0:
            raise reject("target_fraction", f"must be in [-1, 1], got {self.target_fraction}")
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "order_type", OrderType(self.order_type))
        needs_limit = self.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = self.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
        if needs_limit != (self.limit_price is not None):
            raise reject("limit_price", f"{'required' if needs_limit else 'not allowed'} for {self.order_type}")
        if needs_stop != (self.stop_price is not None):
            raise reject("stop_price", f"{'required' if needs_stop else 'not allowed'} for {self.order_type}")


class StrategyParams(BaseModel):
    """Base of every strategy's parameter model: frozen, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_params(model: type[BaseModel], params: BaseModel | Mapping[str, Any] | None) -> BaseModel:
    """Validate ``params`` into ``model``; ConfigError listing every offending field."""
    if isinstance(params, model):
        return params
    raw = params.model_dump() if isinstance(params, BaseModel) else dict(params or {})
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(
            f"invalid {model.__name__}: " + "; ".join(problems),
            details={"errors": [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]},
        ) from None


class Strategy(ABC):
    """Plugin interface. Subclasses set ``name``, ``description``, ``Params`` and implement
    the vectorized ``signals``; the event-driven methods have working defaults. ``aliases`` are the
    words people use for the strategy ("bollinger bands", "golden cross"), lower case."""

    name: ClassVar[str]
    description: ClassVar[str]
    Params: ClassVar[type[StrategyParams]]
    aliases: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: BaseModel | Mapping[str, Any] | None = None) -> None:
        self.initialize(params)

    @classmethod
    @abstractmethod
    def signals(cls, data: Panels, params: BaseModel) -> pd.DataFrame:
        """Target position fractions (see module docstring for the contract)."""

    def initialize(self, config: BaseModel | Mapping[str, Any] | None) -> None:
        """Validate parameters and forget any bars seen."""
        self.params = parse_params(self.Params, config)
        self._rows: list[dict[str, Any]] = []
        self.fills: list[Any] = []

    def on_market_data(self, bar: Mapping[str, Any]) -> None:
        """Record one bar (mapping or Series with symbol, ts, open, high, low, close, volume)."""
        missing = [k for k in ("symbol", "ts", "close") if k not in bar]
        if missing:
            raise DataError(f"bar for strategy {self.name!r} lacks {missing}", details={"missing": missing})
        row = {k: bar[k] for k in ("symbol", "ts", "close")}
        row.update({k: bar.get(k, float("nan")) for k in ("open", "high", "low", "volume")})
        self._rows.append(row)

    def panels(self) -> dict[str, pd.DataFrame]:
        """Wide panels of the bars received so far."""
        if not self._rows:
            raise DataError(f"strategy {self.name!r} has received no bars")
        frame = pd.DataFrame(self._rows)
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
        frame = frame.drop_duplicates(["symbol", "ts"], keep="last")
        return {f: frame.pivot(index="ts", columns="symbol", values=f).sort_index() for f in BAR_FIELDS}

    def generate_signals(self, state: Mapping[str, Any] | None = None) -> list[Signal]:
        """Signals for the latest bar: the last row of ``signals`` over the history."""
        targets = self.signals(self.panels(), self.params)
        ts = targets.index[-1]
        return [Signal(str(s), ts, float(v), reason=self.name) for s, v in targets.iloc[-1].items()]

    def risk_check(self, signals: list[Signal], portfolio: Mapping[str, float]) -> list[OrderIntent]:
        """Market orders towards each signal's target fraction, skipping symbols already there.
        ``portfolio`` maps symbol -> current fraction. The binding risk policy lives in
        ``quant.risk`` / ``guardrails``; this only turns wishes into intents."""
        intents = []
        for signal in signals:
            current = float(portfolio.get(signal.symbol, 0.0))
            if abs(signal.target_fraction - current) < 1e-12:
                continue
            side = Side.BUY if signal.target_fraction > current else Side.SELL
            intents.append(OrderIntent(signal.symbol, side, target_fraction=signal.target_fraction))
        return intents

    def on_fill(self, fill: Any) -> None:
        """Record a fill (``quant.execution.orders.Fill``)."""
        self.fills.append(fill)

    def daily_close(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """End-of-session hook; stateless strategies need nothing."""
