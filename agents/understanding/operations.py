"""Monitoring requests (the Monitoring agent): the daily summary, health, metrics, alerts and recollections."""

from __future__ import annotations

import re

from agents.understanding.plans import Plan, one
from agents.understanding.request import Request

_SERVICES = ("database", "broker", "data", "model")


def daily_summary(r: Request) -> Plan | None:
    if r.has(r"daily (summary|report|recap|update)|summary (of|for) (the|to)day|end of (the )?day|\beod\b|"
             r"\b(p&l|pnl|p and l|profit and loss)\b|how (am i|are we|did we|did i) do(ing)?\b|today'?s summary|"
             r"\brecap\b|^summary\b|\bsummari[sz]e (my |the )?day"):
        return one("generate_daily_summary")
    return None


def _service(r: Request) -> str:
    return next((s for s in _SERVICES if re.search(rf"\b{s}\b", r.low)), "all")


def health(r: Request) -> Plan | None:
    if r.has(r"\bhealth\w*|\bup and running\b|\bis (everything|it|the \w+) (up|ok|working|alive|down)|\bstatus of "
             r"(the )?(services?|system)|system status|\bsystems?\b.*\b(ok|up|working|down)|\bping\b|\bany outage"):
        return one("check_service_health", service_name=_service(r))
    return None


def metrics(r: Request) -> Plan | None:
    if r.has(r"\bmetrics?\b|\bprometheus\b|\bcounters?\b|\btelemetry\b|\bhow many (tool )?calls\b"):
        return one("collect_metrics", service_name=_service(r))
    return None


def alert(r: Request) -> Plan | None:
    m = re.search(r"\b(?:alert|notify|page|tell|warn|ping)\b(?: the)?(?: (?:ops|operators|team|on-?call|oncall))?"
                  r"(?: that| about)?:?\s*(.+)$", r.text, re.I)
    if not m or not r.has(r"\b(alert|notify|page|warn)\b|\btell the (ops|operators|team)\b"):
        return None
    severity = "critical" if r.has(r"critical|urgent|emergency|asap|sev ?1|p1\b") else \
        "info" if r.has(r"\bfyi\b|\binfo\b|just so") else "warning"
    return one("send_alert", message=m.group(1).strip()[:1000] or r.text[:1000], severity=severity)


def recall(r: Request) -> Plan | None:
    m = re.search(r"\b(?:recall|remember|what did (?:we|i)|what have we|did we (?:ever )?|have we (?:ever )?|"
                  r"what was (?:the result|our conclusion)|look up|search (?:my )?(?:memory|notes) for)\b\s*(.+)$",
                  r.text, re.I)
    if m and r.has(r"^\s*how did (we|i) do\b"):  # "how did we do today?" is the daily summary
        return None
    if not m:
        return None
    query = m.group(1).strip(" ?.") or r.text
    return one("recall", query=query[:500] if len(query) >= 2 else r.text[:500])


RULES = (daily_summary, health, metrics, alert, recall)
