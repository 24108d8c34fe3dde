"""Plain request -> tool calls, by rules: the offline planner's whole understanding of language.

``plan_request(text, context)`` returns a ``Plan`` (tool calls with arguments), a ``PlanRefusal`` (the
request asks to get around an approval or a guardrail) or None (not understood). ``context`` is the
thread context the graph puts in front of every model call (``last_run``: the last backtest or
walk-forward with its config), so "run a walk-forward of it" and "promote it to paper" resolve.
It is deliberately simple: what keeps orders safe is the execution gate below the model, not this
refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_FALLING = r"\b(crash|crashes|drop|drops|fall|falls|decline|declines|down|sell-?off|plunge|plunges|slump)\b"

_STOPWORD_TEXT = ("A I AN AND ARE AS AT BE BY DO FOR FROM HOW IN IS IT ME MY OF ON OR OFF OUT SO THE TO UP US VS WE "
                  "WITH SMA EMA RSI MACD ATR HRP OOS PNL ETF CSV API ID RUN USD OK")
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_TICKER = re.compile(r"(?<![\w^])(\^?[A-Z]{1,5}(?:\.[A-Z])?)(?![\w])")
_STRATEGIES: tuple[tuple[str, str], ...] = (
    (r"\bsma\b|moving[- ]average cross", "sma_crossover"), (r"\bema\b", "ema_crossover"),
    (r"\brsi\b", "rsi_mean_reversion"), (r"bollinger", "bollinger_mean_reversion"), (r"\bmacd\b", "macd"),
    (r"momentum", "momentum"), (r"mean[- ]reversion", "mean_reversion"), (r"breakout|donchian", "breakout"),
)
_METHODS: tuple[tuple[str, str], ...] = (
    (r"\bhrp\b|hierarchical", "hrp"), (r"max(imum)?[- ]sharpe", "max_sharpe"),
    (r"min(imum)?[- ](vol(atility)?|variance)", "min_volatility"), (r"risk[- ]parity", "risk_parity"),
    (r"black[- ]litterman", "black_litterman"), (r"risk[- ]budget", "risk_budgeting"),
)
_BYPASS: tuple[tuple[str, str], ...] = (
    (r"\b(skip|bypass|avoid|ignore|override|circumvent|disable)\b.{0,30}\b(approvals?|risk|guardrails?|checks?|"
     r"limits?|policy|gate|kill[- ]?switch)", "guardrail_bypass_requested"),
    (r"\bwithout\b.{0,20}\b(approvals?|approving|sign[- ]?off|review|risk checks?)", "approval_bypass_requested"),
    (r"\b(silently|quietly|secretly|behind)\b", "unrecorded_change_requested"),
    (r"\bno (approval|review|risk check)", "approval_bypass_requested"),
)


@dataclass(frozen=True)
class PlannedCall:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    calls: tuple[PlannedCall, ...]


@dataclass(frozen=True)
class PlanRefusal:
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


EXAMPLES: dict[str, str] = {
    "fetch_historical_data": "load data for AAPL since 2015",
    "validate_data_quality": "check data quality of AAPL",
    "check_data_freshness": "is AAPL data fresh?",
    "fetch_news": "news for AAPL",
    "list_strategies": "list strategies",
    "compute_features": "features for AAPL over 60 days",
    "load_model": "load model xgb-1",
    "generate_signals": "SMA signals for AAPL and MSFT",
    "backtest_strategy": "backtest an SMA crossover on AAPL and MSFT since 2015",
    "run_walk_forward": "walk-forward SMA on AAPL",
    "run_monte_carlo": "monte carlo of run 12",
    "optimize_portfolio": "optimise a portfolio of AAPL, MSFT, JNJ with HRP",
    "compare_runs": "compare runs 3 and 4",
    "check_position_size": "check position size: buy 10 AAPL at 150 with cash 100000",
    "compute_portfolio_exposure": "what's my exposure?",
    "check_kill_switch": "check kill switch for equity 100, 110, 95",
    "set_kill_switch": "kill switch on",
    "generate_risk_report": "risk report",
    "get_risk_limits": "show risk limits",
    "propose_risk_limit_change": "set max_open_positions to 12 because more names",
    "stress_test": "stress test -30%",
    "place_order": "buy 10 AAPL",
    "check_order_status": "status of order qp-1234",
    "get_positions": "show positions",
    "reconcile_positions": "reconcile AAPL 10, MSFT 5",
    "collect_metrics": "metrics",
    "check_service_health": "health",
    "send_alert": "alert: data feed is late",
    "generate_daily_summary": "daily summary",
    "request_promotion": "promote run 12 to paper",
    "recall": "recall what we decided about AAPL",
}


def symbols_in(text: str) -> list[str]:
    found = [m for m in _TICKER.findall(text) if m not in _STOPWORDS]
    return list(dict.fromkeys(found))


def _dates(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    iso = re.findall(r"\b(\d{4}-\d{2}-\d{2})\b", text)
    years = re.findall(r"\b((?:19|20)\d{2})\b", re.sub(r"\d{4}-\d{2}-\d{2}", "", text))
    if iso:
        out["start"] = iso[0]
        if len(iso) > 1:
            out["end"] = iso[1]
    elif years:
        out["start"] = f"{years[0]}-01-01"
        if len(years) > 1:
            out["end"] = f"{years[1]}-12-31"
    return out


def _first(patterns: tuple[tuple[str, str], ...], text: str, default: str | None) -> str | None:
    return next((name for pattern, name in patterns if re.search(pattern, text, re.I)), default)


def _params(text: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"\b(fast|slow|window|lookback|length)\s*=?\s*(\d{1,4})\b", text, re.I)}


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]


def _strategy_config(text: str) -> dict[str, Any]:
    return {"strategy": _first(_STRATEGIES, text, "sma_crossover"), "symbols": symbols_in(text) or ["SPY"],
            "params": _params(text)}


def _one(name: str, **args: Any) -> Plan:
    return Plan((PlannedCall(name, args),))


def _per_symbol(name: str, text: str, **extra: Any) -> Plan | None:
    symbols = symbols_in(text)
    return Plan(tuple(PlannedCall(name, {"symbol": s, **extra}) for s in symbols)) if symbols else None


def _order(text: str) -> dict[str, Any] | None:
    m = re.search(r"\b(buy|sell)\s+(\d+(?:\.\d+)?)\s+(?:shares?\s+(?:of\s+)?)?(\^?[A-Z]{1,5})\b", text, re.I)
    if not m:
        return None
    order: dict[str, Any] = {"symbol": m.group(3).upper(), "side": m.group(1).lower(), "qty": float(m.group(2))}
    limit = re.search(r"\b(?:limit|at)\s+\$?(\d+(?:\.\d+)?)", text, re.I)
    if limit and re.search(r"\blimit\b", text, re.I):
        order.update(order_type="limit", limit_price=float(limit.group(1)))
    return order


_IT = frozenset({"it", "this", "that", "them"})


def plan_request(text: str, context: dict[str, Any] | None = None) -> Plan | PlanRefusal | None:
    """The tool calls a request asks for, a refusal, or None when the request is not understood."""
    t = text.strip()
    last_run = (context or {}).get("last_run") or None
    low = t.lower()
    for pattern, code in _BYPASS:
        if re.search(pattern, low):
            return PlanRefusal(code, "the offline planner will not help get around approvals, risk checks or the "
                               "audit trail; ask for the action itself and it will go through approval",
                               {"request": t[:200]})
    if re.search(r"go(ing)? live\b.*\b(now|immediately|today)\b", low):
        return PlanRefusal("approval_bypass_requested", "going live needs the live approval; ask to promote to live",
                           {"request": t[:200]})
    for rule in _RULES:
        plan = rule(t, low, last_run)
        if plan is not None:
            return plan
    return None


def _kill(t: str, low: str, last_run: dict[str, Any] | None = None) -> Plan | None:
    if re.search(r"kill[- ]?switch|halt (all )?trading|stop all trading|resume trading", low):
        if re.search(r"equity|curve|would|trip|check", low) and _numbers(t):
            return _one("check_kill_switch", equity_curve=_numbers(t))
        engaged = not re.search(r"\b(off|release|disengage|resume|lift)\b", low)
        return _one("set_kill_switch", engaged=engaged, reason=t[:300] if len(t) >= 3 else "requested")
    return None


def _ladder(t: str, low: str, last_run: dict[str, Any] | None = None) -> Plan | None:
    m = re.search(r"promot\w*\s+(?:(run)\s+#?(\d+)|(?:strategy\s+)?([\w.-]+))\s+to\s+(backtested|paper|live)", low)
    if not m:
        return None
    run_id, strategy, stage = m.group(2), m.group(3), m.group(4)
    if strategy in _IT:  # "promote it to paper": the thread's last research run
        if not last_run or "run_id" not in last_run:
            return None
        run_id, strategy = last_run["run_id"], None
    args: dict[str, Any] = {"to_stage": stage}
    args.update({"run_id": int(run_id)} if run_id else {"strategy_id": strategy})
    return _one("request_promotion", **args)


def _research(t: str, low: str, last_run: dict[str, Any] | None = None) -> Plan | None:
    if re.search(r"walk[- ]?forward", low):
        if not symbols_in(t) and last_run and last_run.get("strategy_config"):  # "a walk-forward of it"
            return _one("run_walk_forward", strategy_config=dict(last_run["strategy_config"]),
                        date_range=_dates(t) or dict(last_run.get("date_range") or {}))
        return _one("run_walk_forward", strategy_config=_strategy_config(t), date_range=_dates(t))
    if m := re.search(r"monte[- ]?carlo.*?\brun\s+#?(\d+)", low):
        return _one("run_monte_carlo", run_id=int(m.group(1)))
    if re.search(r"monte[- ]?carlo", low) and last_run and "run_id" in last_run:
        return _one("run_monte_carlo", run_id=int(last_run["run_id"]))
    if re.search(r"\bcompare\b.*\bruns?\b", low) and len(ids := [int(n) for n in re.findall(r"\b\d+\b", low)]) >= 2:
        return _one("compare_runs", run_ids=ids[:20])
    if re.search(r"\bback-?test", low):
        return _one("backtest_strategy", strategy_config=_strategy_config(t), date_range=_dates(t))
    if re.search(r"optimi[sz]e|allocat|weights?\b", low) and len(symbols_in(t)) >= 2:
        return _one("optimize_portfolio", method=_first(_METHODS, low, "hrp"), symbols=symbols_in(t))
    if re.search(r"\bsignals?\b", low) and symbols_in(t):
        return _one("generate_signals", strategy=_first(_STRATEGIES, low, "sma_crossover"), symbols=symbols_in(t),
                    params=_params(t))
    if re.search(r"\bfeatures?\b", low):
        lookback = re.search(r"(\d{1,4})\s*(days|bars|sessions)", low)
        return _per_symbol("compute_features", t, lookback=int(lookback.group(1)) if lookback else 252)
    if m := re.search(r"\bmodel\s+([\w.-]+)", t, re.I):
        return _one("load_model", model_id=m.group(1))
    if re.search(r"(list|which|what|show)\b.*\bstrateg", low):
        return _one("list_strategies")
    return None


def _risk(t: str, low: str, last_run: dict[str, Any] | None = None) -> Plan | None:
    if re.search(r"exposure", low):
        return _one("compute_portfolio_exposure")
    if re.search(r"stress", low):
        shock = re.search(r"([-+]?\d+(?:\.\d+)?)\s*%", t)
        pct = float(shock.group(1)) if shock else -20.0
        if pct > 0 and not shock.group(1).startswith("+") and re.search(_FALLING, low):
            pct = -pct  # "a 20% crash" is a fall of 20 %
        return _one("stress_test", shock_pct=pct)
    if m := re.search(r"\b(?:set|raise|lower|change|increase|decrease)\s+(?:the\s+)?([a-z_]+)\s+to\s+(\d+(?:\.\d+)?)",
                      low):
        reason = re.search(r"\b(?:because|reason:?)\s+(.+)$", t, re.I)
        value: float | int = float(m.group(2)) if "." in m.group(2) else int(m.group(2))
        return _one("propose_risk_limit_change", changes={m.group(1): value},
                    reason=reason.group(1)[:500] if reason else "requested in chat")
    if re.search(r"position size|can i (buy|sell)|size check", low) and (order := _order(t)):
        price = re.search(r"\bat\s+\$?(\d+(?:\.\d+)?)", low)
        cash = re.search(r"cash\s+\$?(\d+(?:\.\d+)?)", low)
        prices = {order["symbol"]: float(price.group(1))} if price else {}
        return _one("check_position_size", order={k: v for k, v in order.items() if k in ("symbol", "side", "qty")},
                    portfolio={"cash_usd": float(cash.group(1)) if cash else 100_000.0, "prices": prices})
    if re.search(r"risk report|risk summary", low):
        return _one("generate_risk_report")
    if re.search(r"(risk )?limits?", low) and re.search(r"risk|limits", low):
        return _one("get_risk_limits")
    return None


def _execution(t: str, low: str, last_run: dict[str, Any] | None = None) -> Plan | None:
    if m := re.search(r"\b(qp-[0-9a-f]+)\b", low):
        return _one("check_order_status", order_id=m.group(1))
    if re.search(r"reconcil", low):
        pairs = re.findall(r"(\^?[A-Z]{1,5})\s*[:=]?\s*(-?\d+(?:\.\d+)?)", t)
        return _one("reconcile_positions", expected={s: float(q) for s, q in pairs if s not in _STOPWORDS})
    if order := _order(t):
        return _one("place_order", order=order)
    if re.search(r"\bpositions?\b|holdings|what do i (own|hold)", low):
        return _one("get_positions")
    return None


def _data(t: str, low: str, last_run: dict[str, Any] | None = None) -> Plan | None:
    if re.search(r"\bfresh|stale|up to date|last bar", low):
        return _per_symbol("check_data_freshness", t)
    if re.search(r"quality|validat", low):
        return _per_symbol("validate_data_quality", t)
    if re.search(r"\bnews|headlines", low):
        return _per_symbol("fetch_news", t)
    if re.search(r"\b(load|fetch|get|download|pull|show)\b.*\b(data|prices|bars|history)\b|\bprices? (for|of)\b", low):
        dates = _dates(t)
        extra = {k2: dates[k1] for k1, k2 in (("start", "start_date"), ("end", "end_date")) if k1 in dates}
        return _per_symbol("fetch_historical_data", t, **extra)
    return None


def _monitoring(t: str, low: str, last_run: dict[str, Any] | None = None) -> Plan | None:
    if re.search(r"daily summary|summary of (the|to)day|end of day", low):
        return _one("generate_daily_summary")
    service = next((s for s in ("database", "broker", "data", "model") if s in low), "all")
    if re.search(r"\bhealth|healthy|\bup\b\?|status of (the )?(services?|system)", low):
        return _one("check_service_health", service_name=service)
    if re.search(r"\bmetrics?\b", low):
        return _one("collect_metrics", service_name=service)
    if m := re.search(r"\b(?:alert|notify|page)\b:?\s*(.+)$", t, re.I):
        severity = "critical" if re.search(r"critical|urgent", low) else "warning"
        return _one("send_alert", message=m.group(1)[:1000], severity=severity)
    if m := re.search(r"\b(?:recall|remember|what did we)\b\s*(.+)$", t, re.I):
        return _one("recall", query=m.group(1)[:500] or t[:500])
    return None


_RULES = (_kill, _ladder, _research, _risk, _execution, _data, _monitoring)
