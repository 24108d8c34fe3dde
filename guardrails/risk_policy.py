"""The pre-trade risk policy: ``RiskPolicy(limits).check(intent, book, market, state) -> Approved | Rejected``.

Every rule that fails adds a ``RejectCode`` and ``details[code] = {observed, threshold, unit}``. Orders
that only shrink an existing exposure skip the exposure rules (they are what a breaker wants).
Percent values are 0-100.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from errors import ConfigError
from guardrails.trading_state import TradingState, daily_loss_pct, drawdown_pct
from quant.execution.orders import OrderIntent, OrderType
from quant.risk.book import Book, MarketSnapshot
from quant.risk.decision import Approved, RejectCode, Rejected, RiskDecision, TradingStatus

__all__ = ["Approved", "Book", "MarketSnapshot", "RejectCode", "Rejected", "RiskDecision", "RiskLimits",
           "RiskPolicy", "intent_or_rejection"]

HUNDRED = Decimal(100)
R = RejectCode


class RiskLimits(BaseModel):
    """The risk limits, each within the range the risk policy allows (percent values are 0-100)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_risk_per_trade_pct: float = Field(1.0, ge=0.5, le=2.0, description="loss at the stop, % of equity")
    max_capital_deployed_pct: float = Field(80.0, ge=50.0, le=80.0, description="gross exposure, % of equity")
    max_open_positions: int = Field(10, ge=5, le=15)
    daily_loss_limit_pct: float = Field(2.0, ge=1.0, le=3.0, description="loss since open that trips REDUCING")
    max_drawdown_pct: float = Field(10.0, ge=5.0, le=12.0, description="drawdown from peak that HALTS")
    max_symbol_concentration_pct: float = Field(25.0, gt=0.0, le=100.0, description="one symbol, % of equity")
    max_order_notional_usd: Decimal = Field(Decimal(50_000), gt=0)
    fat_finger_band_pct: float = Field(5.0, gt=0.0, le=50.0, description="limit/stop price vs last price")
    allowed_symbols: frozenset[str] | None = Field(None, description="None = any symbol with market data")
    max_adv_participation_pct: float = Field(5.0, gt=0.0, le=100.0, description="order qty, % of ADV")
    max_price_age_days: float = Field(5.0, gt=0.0, le=30.0, description="a last price older than this is stale")


def _detail(observed: Decimal | float, threshold: Decimal | float, unit: str, **extra: Any) -> dict[str, Any]:
    return {"observed": round(float(observed), 4), "threshold": round(float(threshold), 4), "unit": unit, **extra}


def _reduces(base: Decimal, delta: Decimal) -> bool:
    new = base + delta
    return base != 0 and abs(new) < abs(base) and (new == 0 or (new > 0) == (base > 0))


def intent_or_rejection(**fields: Any) -> OrderIntent | Rejected:
    """Build an ``OrderIntent`` from raw fields, or return ``Rejected(INVALID_ORDER)`` naming the bad field."""
    try:
        return OrderIntent(**fields)
    except (ConfigError, TypeError) as bad:
        name = getattr(bad, "details", {}).get("field", "arguments")
        return Rejected(client_order_id="", codes=(R.INVALID_ORDER,),
                        details={R.INVALID_ORDER: {"field": name, "message": str(bad)}},
                        reason=f"order refused: {bad}")


def _halted(state: TradingState | TradingStatus) -> str:
    """Why trading is halted or reducing-only, and how a person lifts it (``TradingState.release``)."""
    if not isinstance(state, TradingState):
        return f"trading is {TradingStatus(state).value}"
    whose = f"account {state.account_id}" if state.account_id else "trading (every account: the kill switch)"
    because = f": {state.reason}" if state.reason else ""
    lift = f"; to lift it: {state.release}" if state.release else ""
    return f"{whose} is {state.status.value}{because}{lift}"


class RiskPolicy:
    """Deterministic pre-trade checks; holds only the limits, all data comes in through ``check``."""

    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits

    def check(self, intent: OrderIntent, book: Book, market: MarketSnapshot,
              state: TradingState | TradingStatus) -> RiskDecision:
        status = state.status if isinstance(state, TradingState) else TradingStatus(state)
        cid = intent.client_order_id
        found: dict[RejectCode, dict[str, Any]] = {}
        last = market.last_price.get(intent.symbol)
        if last is None:
            when = f" at or before {market.as_of:%Y-%m-%d %H:%M} UTC" if market.as_of else " at the decision time"
            found[R.UNKNOWN_SYMBOL] = {"symbol": intent.symbol, "observed": None, "threshold": None,
                                       "unit": "symbol",
                                       "message": f"no price for {intent.symbol}{when}: no bar of it is stored "
                                                  f"(`quantpilot data load --symbols {intent.symbol}`)"}
            return self._reject(cid, found)
        age = market.price_age_days(intent.symbol)
        if age is not None and age > self.limits.max_price_age_days:
            stamped = market.price_ts[intent.symbol]
            found[R.STALE_PRICE] = {**_detail(age, self.limits.max_price_age_days, "days_old"),
                                    "symbol": intent.symbol, "last_bar": stamped.isoformat(),
                                    "message": f"the last price of {intent.symbol} is from {stamped:%Y-%m-%d}, "
                                               f"{age:,.1f} days before the decision time (limit "
                                               f"{self.limits.max_price_age_days:g} days): load newer bars of it "
                                               f"(`quantpilot data load --symbols {intent.symbol}`)"}
            return self._reject(cid, found)
        base = book.committed_qty(intent.symbol)
        reduces = _reduces(base, intent.signed_qty)
        if status is TradingStatus.HALTED:
            flatten = isinstance(state, TradingState) and state.allows_flatten(cid)
            if not (flatten and reduces):
                found[R.TRADING_HALTED] = {"observed": None, "threshold": None, "unit": "state",
                                           "status": status.value, "message": _halted(state)}
        elif status is TradingStatus.REDUCING and not reduces:
            found[R.REDUCING_ONLY] = _detail(abs(base + intent.signed_qty), abs(base), "shares",
                                             status=status.value, message=_halted(state))
        self._price_checks(intent, last, found)
        if not reduces:
            self._exposure_checks(intent, book, market, last, base, found)
        if found:
            return self._reject(cid, found)
        return Approved(client_order_id=cid, trading_status=status, reduces_exposure=reduces)

    def _price_checks(self, intent: OrderIntent, last: Decimal, found: dict) -> None:
        band = Decimal(str(self.limits.fat_finger_band_pct))
        for name in ("limit_price", "stop_price"):
            price = getattr(intent, name)
            if price is not None:
                off_pct = abs(price - last) / last * HUNDRED
                if off_pct > band:
                    found[R.FAT_FINGER] = _detail(off_pct, band, "pct_from_last", field=name,
                                                  price=float(price), last_price=float(last))

    def _exposure_checks(self, intent: OrderIntent, book: Book, market: MarketSnapshot, last: Decimal,
                         base: Decimal, found: dict) -> None:
        lim = self.limits
        symbol = intent.symbol
        if lim.allowed_symbols is not None and symbol not in lim.allowed_symbols:
            found[R.SYMBOL_NOT_ALLOWED] = {"symbol": symbol, "observed": symbol, "threshold": None,
                                           "unit": "symbol", "allowed": sorted(lim.allowed_symbols)}
        equity = book.equity_usd
        if equity <= 0:
            found[R.INVALID_ORDER] = _detail(equity, 0, "usd", field="equity_usd")
            return
        price = intent.limit_price if intent.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) else last
        price = max(price, last) if intent.side.value == "buy" else price  # a buy may cost up to the last price
        notional = intent.qty * price
        if notional > lim.max_order_notional_usd:
            found[R.NOTIONAL_CAP_EXCEEDED] = _detail(notional, lim.max_order_notional_usd, "usd")
        adv = market.adv_shares.get(symbol)
        if adv is not None and adv > 0:
            participation = intent.qty / adv * HUNDRED
            if participation > Decimal(str(lim.max_adv_participation_pct)):
                found[R.LIQUIDITY_EXCEEDED] = _detail(participation, lim.max_adv_participation_pct, "pct_of_adv")
        loss = daily_loss_pct(book)
        if loss >= Decimal(str(lim.daily_loss_limit_pct)):
            found[R.DAILY_LOSS_LIMIT] = _detail(loss, lim.daily_loss_limit_pct, "pct_of_day_start_equity")
        dd = drawdown_pct(book)
        if dd >= Decimal(str(lim.max_drawdown_pct)):
            found[R.MAX_DRAWDOWN] = _detail(dd, lim.max_drawdown_pct, "pct_from_peak")
        held = book.committed_symbols()
        if base == 0 and len(held) >= lim.max_open_positions:
            found[R.MAX_POSITIONS_REACHED] = _detail(len(held) + 1, lim.max_open_positions, "positions")
        new_qty = base + intent.signed_qty
        gross = sum((abs(book.committed_qty(s)) * self._mark(market, s, last, symbol)
                     for s in held if s != symbol), Decimal(0)) + abs(new_qty) * price
        deployed_pct = gross / equity * HUNDRED
        if deployed_pct > Decimal(str(lim.max_capital_deployed_pct)):
            found[R.CAPITAL_DEPLOYED_EXCEEDED] = _detail(deployed_pct, lim.max_capital_deployed_pct, "pct_of_equity")
        concentration_pct = abs(new_qty) * price / equity * HUNDRED
        if concentration_pct > Decimal(str(lim.max_symbol_concentration_pct)):
            found[R.CONCENTRATION_EXCEEDED] = _detail(concentration_pct, lim.max_symbol_concentration_pct,
                                                      "pct_of_equity", symbol=symbol)
        stop = market.stop_distance_usd.get(symbol)
        if stop is None or stop <= 0:
            found[R.MISSING_STOP_DISTANCE] = {"symbol": symbol, "observed": None, "threshold": None,
                                              "unit": "usd_per_share",
                                              "message": "risk per trade needs a stop distance (e.g. 2 x ATR)"}
        else:
            added = abs(new_qty) - abs(base) if (new_qty > 0) == (base > 0) or base == 0 else abs(new_qty)
            risk_pct = added * stop / equity * HUNDRED
            if risk_pct > Decimal(str(lim.max_risk_per_trade_pct)):
                found[R.RISK_PER_TRADE_EXCEEDED] = _detail(risk_pct, lim.max_risk_per_trade_pct, "pct_of_equity",
                                                           stop_distance_usd=float(stop))

    @staticmethod
    def _mark(market: MarketSnapshot, symbol: str, last: Decimal, order_symbol: str) -> Decimal:
        price = market.last_price.get(symbol)
        if price is None:
            raise ConfigError(f"no last price for held symbol {symbol} (needed for exposure of {order_symbol})",
                              details={"field": "last_price", "symbol": symbol})
        return price

    @staticmethod
    def _reject(cid: str, found: Mapping[RejectCode, dict[str, Any]]) -> Rejected:
        codes = tuple(found)
        first = codes[0]
        d = found[first]
        more = f" (and {len(codes) - 1} more: {', '.join(codes[1:])})" if len(codes) > 1 else ""
        observed = f": {d['message']}" if d.get("message") else \
            "" if d.get("observed") is None else f": observed {d['observed']} {d['unit']}"
        limit = "" if d.get("threshold") is None or d.get("message") else f" vs limit {d['threshold']}"
        reason = f"order {cid or '(invalid)'} refused by {first.value}{observed}{limit}{more}."
        return Rejected(client_order_id=cid, codes=codes, details=dict(found), reason=reason)
