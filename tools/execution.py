"""Execution agent tools. ``place_order`` never talks to a broker itself: it hands the intent to the
run's execution path (risk policy + stored approval + kill switch + gated broker) and reports what
that path decided. Without an execution path it refuses (fails closed)."""

from __future__ import annotations

from decimal import Decimal

from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field

from errors import NotFoundError
from tools.collaborators import require
from tools.context import ToolContext
from tools.results import ApprovalRequired, Refusal, ToolResult, compact_value
from tools.risk import OrderArgs, to_intent
from tools.typed_tool import Symbol, ToolArgs, context_tool

APPROVAL_CODES = {"APPROVAL_MISSING", "APPROVAL_NOT_GRANTED", "APPROVAL_DOES_NOT_COVER"}
MAX_ROWS = 40  # positions a result carries (the risk limits allow at most 15 open positions)


class PlaceOrderArgs(ToolArgs):
    order: OrderArgs


class OrderState(ToolResult):
    client_order_id: str
    symbol: str
    side: str
    qty: float
    order_status: str
    filled_qty: float
    avg_fill_price: float | None
    broker_order_id: str | None


class OrderIdArgs(ToolArgs):
    order_id: str = Field(min_length=1, max_length=128, description="client order id (qp-...)")


class NoArgs(ToolArgs):
    pass


class PositionRow(BaseModel):
    symbol: str
    qty: float
    avg_entry_price: float
    mark_usd: float | None = None  # the last close at or before the account's clock (None: none stored)
    value_usd: float | None = None
    unrealized_pnl_usd: float | None = None
    price_ts: str | None = None


class Positions(ToolResult):
    mode: str
    cash_usd: float
    equity_usd: float
    positions: list[PositionRow]
    account_id: str | None = None
    clock: str | None = None  # "simulated market at 2021-12-30" or "real time"
    unrealized_pnl_usd: float | None = None
    realized_pnl_usd: float | None = None


class ReconcileArgs(ToolArgs):
    expected: dict[Symbol, float] = Field(description="shares per symbol we believe we hold")
    actual: dict[Symbol, float] | None = Field(default=None, description="shares per symbol held; default: broker")


class Reconciliation(ToolResult):
    matched: bool
    discrepancies: list[dict[str, float | str]]


def order_state(order) -> OrderState:
    return OrderState(client_order_id=order.client_order_id, symbol=order.intent.symbol,
                      side=order.intent.side.value, qty=float(order.intent.qty), order_status=order.status.value,
                      filled_qty=float(order.filled_qty),
                      avg_fill_price=None if order.avg_fill_price is None else float(order.avg_fill_price),
                      broker_order_id=order.broker_order_id)


def place_order(ctx: ToolContext, args: PlaceOrderArgs) -> OrderState | Refusal | ApprovalRequired:
    from quant.execution.orders import Order

    intent = to_intent(ctx, args.order)
    if ctx.order_gateway is None:
        return Refusal(tool="place_order", codes=["EXECUTION_PATH_UNAVAILABLE"],
                       message="no execution path is configured for this run; nothing was sent",
                       details={"client_order_id": intent.client_order_id})
    outcome = ctx.order_gateway.place(ctx.actor(), intent)
    if isinstance(outcome, Order):
        return order_state(outcome)
    codes = [str(c) for c in (getattr(outcome, "codes", None) or [getattr(outcome, "code", "REFUSED")])]
    subject = order_subject(intent)
    if getattr(ctx.order_gateway, "account", None):  # the paper account the approved order is sent in
        subject["account_id"] = ctx.order_gateway.account
    if set(codes) <= APPROVAL_CODES:
        kind = order_approval_kind(ctx)
        return ApprovalRequired(kind=kind, subject=subject, evidence={"codes": codes, "mode": kind.split("_")[0]},
                                requested_by=ctx.user, reason=_order_reason(intent, subject))
    message = str(getattr(outcome, "detail", "") or getattr(outcome, "reason", "") or "refused")
    return Refusal(tool="place_order", codes=codes, message=message, details=subject)


def _order_reason(intent, subject: dict) -> str:
    """Why the approval is asked, as a person says it: ``buy 5 AAPL (market) in account paper``."""
    where = f" in account {subject['account_id']}" if subject.get("account_id") else ""
    return f"{intent.side.value} {compact_value(intent.qty)} {intent.symbol} ({intent.order_type.value}){where}"


def order_subject(intent) -> dict[str, str | None]:
    """Everything that derives the intent's client order id (``order_intent_hash``), as strings: an order
    approval names exactly one order, and the order can be rebuilt from it after the approval."""
    def text(value) -> str | None:
        return None if value is None else str(getattr(value, "value", value))

    return {"order_intent_hash": intent.client_order_id, "client_order_id": intent.client_order_id,
            "symbol": intent.symbol, "side": text(intent.side), "qty": text(intent.qty),
            "strategy_id": intent.strategy_id, "decision_key": intent.decision_key,
            "order_type": text(intent.order_type), "limit_price": text(intent.limit_price),
            "stop_price": text(intent.stop_price), "time_in_force": text(intent.time_in_force)}


def order_approval_kind(ctx: ToolContext) -> str:
    """``live_order`` when the execution path trades live, else ``paper_order`` (the gateway broker's mode,
    else the configured trading mode)."""
    broker = getattr(ctx.order_gateway, "broker", None) or ctx.broker
    mode = getattr(getattr(broker, "mode", None), "value", None)
    if mode is None:
        from config import TradingMode

        mode = "live" if getattr(ctx.settings, "trading_mode", None) is TradingMode.LIVE else "paper"
    return "paper_order" if mode in ("paper", "backtest") else "live_order"


def check_order_status(ctx: ToolContext, args: OrderIdArgs) -> OrderState:
    order = require(ctx.broker, "broker").get_order_by_client_id(args.order_id)
    if order is None:
        raise NotFoundError(f"no order {args.order_id!r} at the broker", details={"order_id": args.order_id})
    return order_state(order)


def get_positions(ctx: ToolContext, args: NoArgs) -> Positions:
    if hasattr(ctx.order_gateway, "holdings"):  # marked at the account's clock, by the execution path
        held = ctx.order_gateway.holdings(ctx.actor())
        rows = [PositionRow(symbol=p.symbol, qty=float(p.qty), avg_entry_price=float(p.avg_entry_usd),
                            mark_usd=None if p.mark_usd is None else float(p.mark_usd), value_usd=float(p.value_usd),
                            unrealized_pnl_usd=float(p.unrealized_pnl_usd),
                            price_ts=p.price_ts.isoformat() if p.price_ts else None) for p in held.positions]
        realized = held.realized_pnl_usd
        return Positions(mode=ctx.order_gateway.broker.mode.value, cash_usd=float(held.cash_usd),
                         equity_usd=float(held.equity_usd), positions=rows[:MAX_ROWS], account_id=held.account_id,
                         clock=held.clock, unrealized_pnl_usd=float(held.unrealized_pnl_usd),
                         realized_pnl_usd=None if realized is None else float(realized))
    broker = require(ctx.broker, "broker")
    account = broker.get_account()
    rows = [PositionRow(symbol=p.symbol, qty=float(p.qty), avg_entry_price=float(p.avg_entry_price))
            for p in broker.get_positions() if p.qty != 0]
    return Positions(mode=broker.mode.value, cash_usd=float(account.cash_usd), equity_usd=float(account.equity_usd),
                     positions=rows[:MAX_ROWS])


def reconcile_positions(ctx: ToolContext, args: ReconcileArgs) -> Reconciliation:
    actual = args.actual
    if actual is None:
        actual = {p.symbol: float(p.qty) for p in require(ctx.broker, "broker").get_positions()}
    found = []
    for symbol in sorted(set(args.expected) | set(actual)):
        want, have = Decimal(str(args.expected.get(symbol, 0))), Decimal(str(actual.get(symbol, 0)))
        if want != have:
            found.append({"symbol": symbol, "expected": float(want), "actual": float(have),
                          "difference": float(have - want)})
    return Reconciliation(matched=not found, discrepancies=found[:50])


def build_execution_tools(ctx: ToolContext) -> list[BaseTool]:
    specs = [
        ("place_order", "Send an order through the execution gate (risk policy, approval, kill switch). Returns "
         "the order, a refusal with codes, or approval_required.", PlaceOrderArgs, place_order),
        ("check_order_status", "Status and fills of an order by its client order id.", OrderIdArgs,
         check_order_status),
        ("get_positions", "Positions, cash and equity at the broker.", NoArgs, get_positions),
        ("reconcile_positions", "Differences between expected and actual (default: broker) positions.",
         ReconcileArgs, reconcile_positions),
    ]
    return [context_tool(ctx, name, text, schema, fn) for name, text, schema, fn in specs]
