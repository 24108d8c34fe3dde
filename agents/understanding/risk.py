"""Risk requests (the Risk agent): the kill switch and breakers, exposure, stress tests, limit changes, pre-trade
size checks, the risk report and the limits in force."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from agents.understanding.plans import Plan, Reply, one
from agents.understanding.request import Request
from agents.understanding.trading import order_in
from agents.understanding.vocabulary import numbers_in
from guardrails.risk_policy import RiskLimits

_FALLING = (r"\b(crash\w*|drop\w*|fall\w*|decline\w*|down|sell-?off|plunge\w*|slump\w*|tank\w*|correction|"
            r"bear|lose|loses)\b")
# the numeric risk limits, by their field names in the policy (one source)
_LIMIT_FIELDS = tuple(name for name, f in RiskLimits.model_fields.items() if f.annotation in (int, float, Decimal))


def kill_switch(r: Request) -> Plan | None:
    if not r.has(r"kill[- ]?switch|\bhalt (all )?trading|stop all trading|\bresume trading|\bstop trading\b|"
                 r"\bbreakers?\b.*\b(trip|fire|would)|\bpanic button"):
        return None
    curve = numbers_in(r.text)
    if r.has(r"equity|curve|would|trip|check|test") and len(curve) >= 2:
        return one("check_kill_switch", equity_curve=curve)
    engaged = not r.has(r"\b(off|release\w*|disengag\w*|resume|lift\w*|unhalt|turn off|switch off|deactivat\w*)\b")
    reason = r.text[:300] if len(r.text) >= 3 else "requested"
    if engaged and r.has(r"\b(flatten\w*|liquidat\w*|close (out )?(all|every|everything)|sell everything)\b"):
        return one("set_kill_switch", engaged=True, reason=reason, flatten=True)
    return one("set_kill_switch", engaged=engaged, reason=reason)


def exposure(r: Request) -> Plan | None:
    if r.has(r"exposure|exposed|\bleverage\b|capital (is )?deployed|how much (of my )?(capital|money) is (in|at work|"
             r"invested)|\bnet long\b|\bgross\b"):
        return one("compute_portfolio_exposure")
    return None


def stress(r: Request) -> Plan | None:
    if not r.has(r"stress|\bscenario\b|what if .*\b(crash|drop|fall|rall|rise|tank|move)|what happens\b.{0,30}\bif\b|"
                 r"\bshock\b|(crash|drop|fall|plunge|rally)\w* (of|by) \d"):
        return None
    shock = re.search(r"([-+−]?\d+(?:\.\d+)?)\s*(?:%|percent|pct)", r.text.replace("\u2212", "-"))
    pct = float(shock.group(1)) if shock else -20.0
    if shock and pct > 0 and not shock.group(1).startswith("+") and r.has(_FALLING):
        pct = -pct  # "a 20% crash" is a fall of 20 %
    return one("stress_test", shock_pct=pct)


def _limit_field(words: str) -> str | None:
    """The RiskLimits field a phrase names: the field itself, or its words ("max open positions")."""
    key = words.strip().replace(" ", "_").replace("-", "_")
    if key in _LIMIT_FIELDS:
        return key
    spoken = {f.removesuffix("_pct").removesuffix("_usd").replace("_", " "): f for f in _LIMIT_FIELDS}
    return next((f for phrase, f in spoken.items() if phrase in words or words in phrase and len(words) > 6), None)


def limit_change(r: Request) -> Plan | None:
    m = re.search(r"\b(?:set|raise|lower|change|increase|decrease|bump|cut|reduce|lift|make)\s+(?:the\s+|my\s+)?"
                  r"([a-z_ ]{3,40}?)\s+(?:limit\s+)?(?:to|at|=)\s*\$?(-?\d[\d,]*(?:\.\d+)?)\s*%?", r.low)
    if not m:
        return None
    field = _limit_field(m.group(1))
    if field is None:
        return None
    raw = m.group(2).replace(",", "")
    value: Any = float(raw) if "." in raw else int(raw)
    reason = re.search(r"\b(?:because|since|as|reason:?|due to)\s+(.+)$", r.text, re.I)
    return one("propose_risk_limit_change", changes={field: value},
               reason=reason.group(1)[:500] if reason else "requested in chat")


def size_check(r: Request) -> Plan | None:
    if not r.has(r"position siz|can i (afford to )?(buy|sell)|size check|pre-?trade|would .* (pass|be allowed)|"
                 r"is .* (too big|allowed)|risk check (for|on)"):
        return None
    order = order_in(r.text)
    if order is None:
        return None
    price = re.search(r"\bat\s+\$?(\d+(?:\.\d+)?)", r.low)
    cash = re.search(r"cash (?:of )?\$?(\d[\d,]*(?:\.\d+)?)|\$(\d[\d,]*(?:\.\d+)?) (?:of )?cash", r.low)
    prices = {order["symbol"]: float(price.group(1))} if price else {}
    amount = (cash.group(1) or cash.group(2)).replace(",", "") if cash else "100000"
    return one("check_position_size", order={k: v for k, v in order.items() if k in ("symbol", "side", "qty")},
               portfolio={"cash_usd": float(amount), "prices": prices})


def report(r: Request) -> Plan | None:
    if r.has(r"risk (report|summary|overview|status|picture|snapshot)|how risky|overall risk|\brisk\b\??$"):
        return one("generate_risk_report")
    return None


def limits(r: Request) -> Plan | Reply | None:
    if order_in(r.text) is None and r.has(r"\blimits?\b|max(imum)? (position|order|drawdown|loss)|how (big|large) "
                                          r"can|how many positions can"):
        return one("get_risk_limits")
    return None


RULES = (kill_switch, limit_change, exposure, stress, size_check, report, limits)
