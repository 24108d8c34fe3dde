"""Answers about risk: exposure, the limits in force, the risk report, a stress test, the breakers and kill
switch, and a pre-trade size check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.answers.outcome import ToolOutcome, typed
from agents.answers.phrasing import field_label, limit_text, sentence
from quant.display import counted, money, percent_points, quantity, signed_money, text_table
from quant.display.book import kill_switch_text
from quant.display.risk_check import refusal_reasons
from tools.risk import Decision


def limits_table(limits: Mapping[str, Any]) -> str:
    return text_table(["limit", "value"], [[field_label(k), limit_text(k, v)] for k, v in limits.items()])


def write_limits(outcome: ToolOutcome) -> str:
    limits = outcome.data
    if not limits:
        return ""
    return "Risk limits in force:\n" + limits_table(limits) + \
        '\nChanging one needs its own approval: "set max_open_positions to 12 because …".'


def exposure_text(data: Mapping[str, Any]) -> str:
    """Equity, cash, gross and net exposure, and each symbol's share of equity (largest first)."""
    if not isinstance(data, Mapping) or "equity_usd" not in data:
        return str(data) if isinstance(data, str) else ""
    held = data.get("by_symbol_pct") or {}
    lines = [f"Equity {money(data['equity_usd'])}, cash {money(data.get('cash_usd'))}; gross exposure "
             f"{money(data.get('gross_exposure_usd'))} ({percent_points(data.get('gross_exposure_pct'))} of equity), "
             f"net {money(data.get('net_exposure_usd'))}, {counted(data.get('n_positions'), 'open position')}."]
    if held:
        lines.append(text_table(["symbol", "% of equity"], [[s, percent_points(p)] for s, p in held.items()]))
    if data.get("max_capital_deployed_pct") is not None:
        lines.append(f"Limit: at most {percent_points(data['max_capital_deployed_pct'])} of equity deployed.")
    return "\n".join(lines)


def write_exposure(outcome: ToolOutcome) -> str:
    return exposure_text(outcome.data)


def write_risk_report(outcome: ToolOutcome) -> str:
    data = outcome.data
    status = str(data.get("trading_status", "unknown"))
    where = f" in account {data['account_id']} ({data.get('clock')})" if data.get("account_id") else ""
    lines = [f"Trading is {status}{where}" + (f" (halt {data['halt_id']})." if data.get("halt_id") else ".")]
    if data.get("reason"):
        lines.append(sentence(f"Why: {data['reason']}"))
    if data.get("release"):
        lines.append(f"To lift it: {data['release']}")
    exposure = data.get("exposure")
    if exposure:
        lines.append(exposure_text(exposure) if isinstance(exposure, Mapping) else sentence(str(exposure)))
    if isinstance(data.get("limits"), Mapping):
        lines += ["Limits:", limits_table(data["limits"])]
    return "\n".join(lines)


def write_stress(outcome: ToolOutcome) -> str:
    data = outcome.data
    shock = percent_points(data.get("shock_pct"), 0, signed=True)
    worst = data.get("worst") or {}
    if not worst:
        return (f"You hold no positions, so a {shock} move in prices changes nothing: equity stays "
                f"{money(data.get('equity_usd'))}.")
    lines = [f"A {shock} move in every held price would change equity by {signed_money(data.get('pnl_usd'))} "
             f"({percent_points(data.get('pnl_pct_of_equity'), signed=True)} of {money(data.get('equity_usd'))})."]
    lines.append("Hardest hit: " + ", ".join(f"{s} {signed_money(v)}" for s, v in worst.items()) + ".")
    return "\n".join(lines)


def write_breaker_check(outcome: ToolOutcome) -> str:
    data = outcome.data
    tripped = bool(data.get("active"))
    head = ("On that equity curve the breakers trip: trading would be " + str(data.get("trading_status"))
            if tripped else "On that equity curve no breaker trips; trading stays " + str(data.get("trading_status")))
    return (f"{head}. Drawdown {percent_points(data.get('drawdown_pct'))} (halts at "
            f"{percent_points(data.get('max_drawdown_pct'))}), loss since the session start "
            f"{percent_points(data.get('daily_loss_pct'))} (trading reduces at "
            f"{percent_points(data.get('daily_loss_limit_pct'))}).")


def write_kill_switch(outcome: ToolOutcome) -> str:
    data = outcome.data
    status = str(data.get("trading_status"))
    if status != "halted":
        return f"Trading is {status}."
    if "closes" in data:  # the execution path's report: each close with its final state, a refusal said plainly
        return kill_switch_text(data) + '\nReleasing it needs an approval: "kill switch off" asks for it.'
    return (f"Kill switch engaged: trading is halted (halt {data.get('halt_id')}); no order is sent until an approver "
            'releases it. "Kill switch off" asks for that approval.')


def write_size_check(outcome: ToolOutcome) -> str:
    decision = typed(Decision, outcome.payload)
    if decision is None:
        return ""
    order = outcome.args.get("order") or {}
    side, qty, symbol = order.get("side"), order.get("qty"), order.get("symbol")
    what = f"{side} {quantity(qty)} {symbol}" if side and qty and symbol else "the order"
    if decision.approved:
        return f"The risk policy would accept {what}: every pre-trade check passes."
    reasons = refusal_reasons(decision.codes, decision.details)
    return "\n".join([f"The risk policy would refuse {what}:", *(f"- {r}" for r in reasons)])
