"""Risk agent tools: pre-trade check, exposure, breakers and kill switch, limits and their change
proposals, stress test. The decisions are made by guardrails/ and quant/risk; these only gather inputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import Field, model_validator

from tools.context import ToolContext
from tools.portfolio_view import marked_positions
from tools.results import ApprovalRequired, Refusal, Summary, ToolResult, compact_value
from tools.typed_tool import AsOf, Symbol, ToolArgs, context_tool


class OrderArgs(ToolArgs):
    symbol: Symbol
    side: str = Field(pattern="^(buy|sell)$")
    qty: float = Field(gt=0, description="shares")
    order_type: str = Field(default="market", pattern="^(market|limit|stop|stop_limit)$")
    limit_price: float | None = Field(default=None, gt=0)
    stop_price: float | None = Field(default=None, gt=0)
    strategy_id: str = Field(default="manual", min_length=1, max_length=64)
    decision_key: str | None = Field(default=None, max_length=128, description="idempotency: same key = same order")
    stop_distance_usd: float | None = Field(default=None, gt=0, description="dollars per share at risk")


class PortfolioArgs(ToolArgs):
    cash_usd: float = Field(ge=0)
    positions: dict[Symbol, float] = Field(default_factory=dict, description="shares per symbol")
    prices: dict[Symbol, float] = Field(description="last price per symbol, dollars")
    adv_shares: dict[Symbol, float] = Field(default_factory=dict)


class PositionSizeArgs(ToolArgs):
    order: OrderArgs
    portfolio: PortfolioArgs


class Decision(ToolResult):
    approved: bool
    client_order_id: str
    codes: list[str] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)


class NoArgs(ToolArgs):
    pass


class ExposureArgs(ToolArgs):
    as_of: AsOf = None


MAX_INLINE_EQUITY_POINTS = 64  # a longer curve goes by reference (a stored run), never by value


class KillSwitchArgs(ToolArgs):
    """Either a few equity points given inline or a stored backtest run whose equity curve is read."""

    equity_curve: list[float] | None = Field(default=None, min_length=2, max_length=MAX_INLINE_EQUITY_POINTS,
                                             description="equity in dollars, oldest first")
    run_id: int | None = Field(default=None, ge=1, description="or a stored run's equity curve")

    @model_validator(mode="after")
    def _one_source(self) -> KillSwitchArgs:
        if (self.equity_curve is None) == (self.run_id is None):
            raise ValueError("give equity_curve (up to 64 points) or run_id, one of the two")
        return self


class SetKillSwitchArgs(ToolArgs):
    engaged: bool
    reason: str = Field(min_length=3, max_length=300)
    flatten: bool = Field(default=False, description="engaging: also close every position of the account (approver)")


class LimitChangeArgs(ToolArgs):
    changes: dict[str, Any] = Field(min_length=1, description="risk limit field -> new value")
    reason: str = Field(min_length=3, max_length=500)


class StressArgs(ToolArgs):
    shock_pct: float = Field(default=-20.0, ge=-100, le=100, description="price move applied to every position, %")
    as_of: AsOf = None


def to_intent(ctx: ToolContext, order: OrderArgs):
    from quant.execution.orders import OrderIntent

    return OrderIntent(symbol=order.symbol, side=order.side, qty=Decimal(str(order.qty)), strategy_id=order.strategy_id,
                       decision_key=order.decision_key or ctx.now().isoformat(), order_type=order.order_type,
                       limit_price=None if order.limit_price is None else Decimal(str(order.limit_price)),
                       stop_price=None if order.stop_price is None else Decimal(str(order.stop_price)))


def decision_result(decision) -> Decision:
    codes = [str(c) for c in getattr(decision, "codes", ())]
    details = {str(k): v for k, v in dict(getattr(decision, "details", {}) or {}).items()}
    return Decision(approved=bool(decision.ok), client_order_id=decision.client_order_id, codes=codes,
                    details=compact_value(details))


def check_position_size(ctx: ToolContext, args: PositionSizeArgs) -> Decision:
    from guardrails.risk_policy import RiskPolicy
    from quant.risk.book import Book, MarketSnapshot

    intent = to_intent(ctx, args.order)
    pf = args.portfolio
    book = Book.marked(pf.cash_usd, pf.positions, {**pf.prices})
    stops = {args.order.symbol: Decimal(str(args.order.stop_distance_usd))} if args.order.stop_distance_usd else {}
    market = MarketSnapshot(last_price={k: Decimal(str(v)) for k, v in pf.prices.items()},
                            adv_shares={k: Decimal(str(v)) for k, v in pf.adv_shares.items()}, stop_distance_usd=stops)
    return decision_result(RiskPolicy(ctx.limits()).check(intent, book, market, ctx.trading_state.current()))


def compute_portfolio_exposure(ctx: ToolContext, args: ExposureArgs) -> Summary:
    from quant.risk.book import Book

    qty, prices, cash = marked_positions(ctx, args.as_of)
    book = Book.marked(cash, qty, prices)
    value = {s: qty[s] * prices[s] for s in qty}
    equity = book.equity_usd
    pct = (lambda v: float(v / equity * 100) if equity else None)  # noqa: E731
    return Summary(tool="compute_portfolio_exposure", summary=compact_value({
        "equity_usd": float(equity), "cash_usd": float(cash), "n_positions": len(qty),
        "gross_exposure_usd": float(sum(abs(v) for v in value.values())),
        "net_exposure_usd": float(sum(value.values())),
        "gross_exposure_pct": pct(sum(abs(v) for v in value.values())),
        "by_symbol_pct": {s: pct(v) for s, v in sorted(value.items(), key=lambda kv: -abs(kv[1]))},
        "max_capital_deployed_pct": ctx.limits().max_capital_deployed_pct,
    }))


def check_kill_switch(ctx: ToolContext, args: KillSwitchArgs) -> Summary:
    """Would the breakers trip on this equity curve (last point = now, previous point = session start)?"""
    from guardrails.trading_state import check_breakers, daily_loss_pct, drawdown_pct
    from quant.risk.book import Book

    if args.run_id is not None:
        from tools.strategy import research_service

        curve = [float(v) for v in research_service(ctx).equity_curve(args.run_id).dropna()]
    else:
        curve = list(args.equity_curve or [])
    book = Book.marked(curve[-1], {}, {}, peak_equity_usd=max(curve), day_start_equity_usd=curve[-2])
    limits, now = ctx.limits(), ctx.now()
    state = check_breakers(ctx.trading_state.current(), book, daily_loss_limit_pct=limits.daily_loss_limit_pct,
                           max_drawdown_pct=limits.max_drawdown_pct, session=now.date(), ts=now)
    return Summary(tool="check_kill_switch", summary={
        "active": state.status.value == "halted", "trading_status": state.status.value,
        "drawdown_pct": float(drawdown_pct(book)), "daily_loss_pct": float(daily_loss_pct(book)),
        "max_drawdown_pct": limits.max_drawdown_pct, "daily_loss_limit_pct": limits.daily_loss_limit_pct,
        "reason": state.events[-1].reason if state.events else None})


def resume_subject(state) -> dict[str, Any]:
    """The subject of the approval that releases ``state`` (a HALTED or REDUCING ``TradingState``): the
    same ``risk_limit`` request ``ExecutionService.request_resume`` stores, which ``ExecutionService.resume``
    accepts for this halt only."""
    return {"limit_change_id": f"resume-{state.halt_id or 'reducing'}", "action": "resume_trading",
            "halt_id": state.halt_id, "status": state.status.value}


def release_request(ctx: ToolContext, state, reason: str) -> ApprovalRequired:
    """The approval that lifts ``state``: a resume of the kill switch, or the reset of the breaker baseline of the
    account a breaker halted (the same requests ``ExecutionService`` stores)."""
    if state.account_id is None:
        return ApprovalRequired(kind="risk_limit", subject=resume_subject(state),
                                evidence={"reason": reason, "trading_status": state.status.value},
                                requested_by=ctx.user, reason=f"resume trading ({state.status.value}): {reason}")
    from services.breakers import breaker_key

    gateway = ctx.order_gateway
    evidence = (gateway.breaker_evidence(gateway.book(), state, reason) if hasattr(gateway, "breaker_evidence")
                else {"reason": reason, "trading_status": state.status.value, "halt_reason": state.reason})
    subject = {"account_id": state.account_id, "halt_id": breaker_key(state), "status": state.status.value}
    return ApprovalRequired(kind="breaker_reset", subject=subject, evidence=compact_value(evidence),
                            requested_by=ctx.user,
                            reason=f"reset the breaker baseline of account {state.account_id}: {reason}")


def set_kill_switch(ctx: ToolContext, args: SetKillSwitchArgs) -> Summary | ApprovalRequired | Refusal:
    """Engaging halts at once (the safe direction), through the execution path when there is one (cancels, the
    optional flatten and its report); releasing needs an approved request (kill switch or breaker)."""
    from guardrails.trading_state import engage_kill_switch

    current = ctx.trading_state.current()
    if not args.engaged:
        if current.status.value == "active":
            return Refusal(tool="set_kill_switch", codes=["ALREADY_ACTIVE"],
                           message="trading is already active; nothing to resume", details={})
        return release_request(ctx, current, args.reason)
    if ctx.order_gateway is not None:  # the execution path: on record, open orders canceled, flatten if allowed
        return _halt_through(ctx, args)
    if args.flatten:
        return Refusal(tool="set_kill_switch", codes=["unavailable"],
                       message="flattening needs the execution path, which this session does not have")
    result = engage_kill_switch(current, reason=args.reason, ts=ctx.now(), open_orders=(), positions={})
    ctx.trading_state.save(result.state)
    return Summary(tool="set_kill_switch", summary={"trading_status": result.state.status.value,
                                                    "halt_id": result.state.halt_id, "reason": args.reason})


def _halt_through(ctx: ToolContext, args: SetKillSwitchArgs) -> Summary | Refusal:
    """The kill switch through the execution service, as on every other interface; what it did, close by close."""
    from errors import PermissionDenied

    assert ctx.order_gateway is not None
    actor = ctx.actor()
    try:
        report = ctx.order_gateway.kill_switch_on(actor, reason=args.reason, flatten=args.flatten)
    except PermissionDenied as denied:
        return Refusal(tool="set_kill_switch", codes=["role_too_low"], message=denied.message,
                       details={"role": actor.role.value, "required_role": "approver", "flatten": True})
    return Summary(tool="set_kill_switch", summary={**compact_value(report.to_dict()),
                                                    "trading_status": report.state.status.value,
                                                    "reason": args.reason})


def get_risk_limits(ctx: ToolContext, args: NoArgs) -> Summary:
    return Summary(tool="get_risk_limits", summary=compact_value(ctx.limits().model_dump(mode="json")))


def propose_risk_limit_change(ctx: ToolContext, args: LimitChangeArgs) -> ApprovalRequired:
    from guardrails.limits import propose_change

    proposal = propose_change(ctx.limits(), args.changes, ctx.user, created_at=ctx.now())
    changes = {k: {"from": compact_value(old), "to": compact_value(new)} for k, (old, new) in proposal.changes.items()}
    return ApprovalRequired(kind="risk_limit", subject={"limit_change_id": proposal.proposal_id,
                                                      "proposal_id": proposal.proposal_id, "changes": changes},
                            evidence={"current": proposal.current.model_dump(mode="json")},  # checked on apply
                            requested_by=ctx.user, reason=args.reason)


def stress_test(ctx: ToolContext, args: StressArgs) -> Summary:
    qty, prices, cash = marked_positions(ctx, args.as_of)
    shock = Decimal(str(args.shock_pct)) / 100
    pnl = {s: qty[s] * prices[s] * shock for s in qty}
    equity = cash + sum((qty[s] * prices[s] for s in qty), Decimal(0))
    total = sum(pnl.values(), Decimal(0))
    return Summary(tool="stress_test", summary={
        "shock_pct": args.shock_pct, "equity_usd": float(equity), "pnl_usd": float(total),
        "pnl_pct_of_equity": float(total / equity * 100) if equity else None,
        "worst": compact_value({s: float(v) for s, v in sorted(pnl.items(), key=lambda kv: kv[1])[:5]})})


def generate_risk_report(ctx: ToolContext, args: NoArgs) -> Summary:
    state = ctx.trading_state.current()
    report: dict[str, Any] = {"trading_status": state.status.value, "halt_id": state.halt_id,
                              "reason": getattr(state, "reason", ""), "release": getattr(state, "release", ""),
                              "limits": ctx.limits().model_dump(mode="json")}
    if hasattr(ctx.order_gateway, "market_clock"):
        clock = ctx.order_gateway.market_clock()
        report.update(account_id=clock.account_id, clock=clock.describe())
    if ctx.broker is not None:
        report["exposure"] = compute_portfolio_exposure(ctx, ExposureArgs()).summary
    else:
        report["exposure"] = "unavailable: no broker configured"
    return Summary(tool="generate_risk_report", summary=compact_value(report))


def build_risk_tools(ctx: ToolContext) -> list[BaseTool]:
    specs = [
        ("check_position_size", "Pre-trade risk check of an order against a portfolio: approved or reason codes.",
         PositionSizeArgs, check_position_size),
        ("compute_portfolio_exposure", "Gross/net exposure of the broker's positions, % of equity, at as_of.",
         ExposureArgs, compute_portfolio_exposure),
        ("check_kill_switch", "Would the drawdown / daily-loss breakers trip on an equity curve?", KillSwitchArgs,
         check_kill_switch),
        ("set_kill_switch", "Engage the kill switch (halts trading now); releasing it needs an approval.",
         SetKillSwitchArgs, set_kill_switch),
        ("generate_risk_report", "Trading status, limits and exposure in one report.", NoArgs, generate_risk_report),
        ("get_risk_limits", "The risk limits in force.", NoArgs, get_risk_limits),
        ("propose_risk_limit_change", "Propose new risk limits; returns approval_required (never applies them).",
         LimitChangeArgs, propose_risk_limit_change),
        ("stress_test", "P&L of the current positions under a uniform price shock (%).", StressArgs, stress_test),
    ]
    return [context_tool(ctx, name, text, schema, fn) for name, text, schema, fn in specs]
